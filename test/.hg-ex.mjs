import { MemoryDevice, PAGE_SIZE, SwapSpace, Zswap } from "zswap-ts";

const zswap = new Zswap({ maxPoolBytes: 16 << 20 }); // one pool for both
zswap.groupAdd("batch", { maxBytes: 64 << 10 }); // memory.zswap.max: 64 KiB of the pool
zswap.groupAdd("web"); // no bound, writeback on (memory.zswap.writeback 1)
const open = (type, group) =>
  SwapSpace.open({ slots: 512, device: new MemoryDevice({ slots: 512 }), zswap, type, group });
const batch = await open(0, "batch");
const web = await open(1, "web");

const page = new Uint8Array(PAGE_SIZE); // 1 KiB of noise, then zeros: about 1 KiB compressed
for (let i = 0, x = 1; i < 256; i++) {
  for (let b = 0; b < 1024; b++) page[b] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  await batch.swapOut(page); // past its bound: declined, and its own oldest go to its device
  await web.swapOut(page);
}
await new Promise((resolve) => setImmediate(resolve)); // writebacks land
const b = zswap.groupStats("batch");
console.log(b.zswap <= b.zswap_max, b.zswpout, b.group_limit_hit, b.zswpwb);
console.log(zswap.groupStats("web").zswpout, zswap.groupStats("web").zswpwb); // untouched
zswap.groupConfigure("batch", { writeback: false }); // at run time: nothing to its device now
let more = 0;
try {
  for (;;) more += (await batch.swapOut(page)) >= 0 ? 1 : 0;
} catch (err) {
  console.log(more, err.code); // declined, and not written either: the caller keeps the page
}
await batch.close();
await web.close();
