// Every permissive codec, from the installed package's prebuilt addon: pages of each go out
// through SwapSpace, stored compressed, and come back; lzo (GPL, opt-in) is refused with its
// license, since it is not installed here.
import assert from "node:assert/strict";
import { compressorsAvailable, MemoryDevice, PAGE_SIZE, SwapSpace } from "zswap-ts";

assert.deepEqual(compressorsAvailable(), ["lz4", "lz4hc", "zstd", "deflate"]);
for (const compressor of ["lz4", "lz4hc", "zstd"]) {
  const swap = await SwapSpace.open({
    slots: 64,
    device: new MemoryDevice({ slots: 64 }),
    zswap: { maxPoolBytes: 1 << 20, compressor },
  });
  const pages = Array.from({ length: 8 }, (_, i) =>
    Uint8Array.from({ length: PAGE_SIZE }, (_, j) => (j * (i + 3)) % 251),
  );
  const slots = [];
  for (const page of pages) slots.push(await swap.swapOut(page));
  const back = new Uint8Array(PAGE_SIZE);
  for (const [i, slot] of slots.entries()) {
    await swap.swapIn(slot, back);
    assert.deepEqual(back, pages[i], `${compressor}: page ${i} came back`);
  }
  const s = swap.stats();
  assert.equal(s.zswpout, pages.length, `${compressor}: every page stored compressed`);
  assert.equal(s.zswpin, pages.length, `${compressor}: every page loaded from zswap`);
  await swap.close();
}
const lzo = { slots: 1, device: new MemoryDevice({ slots: 1 }), zswap: { compressor: "lzo" } };
await assert.rejects(
  SwapSpace.open(lzo),
  (err) => err.code === "ZSWAP_E_COMPRESSOR" && /GPL-2\.0-or-later/.test(err.message),
);
console.log("ok: lz4, lz4hc and zstd pages round-trip through SwapSpace; lzo refused");
