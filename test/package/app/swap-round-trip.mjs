// A library user's first program, run by plain Node against the installed package: generated
// pages go out through SwapSpace (a small pool, so most are written back to the swap file) and
// come back in; every byte is compared. Prints one JSON line for the test to check.
import { PAGE_SIZE, SwapSpace } from "zswap-ts";
import { SimClock } from "zswap-ts/testing";

if (typeof new SimClock().run !== "function") throw new Error("zswap-ts/testing: no SimClock");

const PAGES = 512;
const POOL_PAGES = 32;

/** A compressible, non-zero page: words from a small seeded dictionary, the page's number first. */
function pageMake(n) {
  let x = (n + 1) * 0x9e3779b1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const words = Array.from({ length: 16 }, () => [next(), next()]);
  const page = new Uint8Array(PAGE_SIZE);
  const view = new DataView(page.buffer);
  for (let at = 0; at < PAGE_SIZE; at += 8) {
    const [hi, lo] = words[next() % words.length];
    view.setUint32(at, hi | 1);
    view.setUint32(at + 4, lo);
  }
  view.setUint32(0, n);
  return page;
}

const space = await SwapSpace.open({
  slots: PAGES,
  zswap: { maxPoolBytes: POOL_PAGES * PAGE_SIZE },
});
const slots = [];
for (let n = 0; n < PAGES; n++) slots.push(await space.swapOut(pageMake(n)));
const out = space.stats();
const into = new Uint8Array(PAGE_SIZE);
let mismatches = 0;
for (let n = 0; n < PAGES; n++) {
  await space.swapIn(slots[n], into, { free: true });
  if (!Buffer.from(into).equals(pageMake(n))) mismatches++;
}
const done = space.stats();
await space.close();
console.log(
  JSON.stringify({
    pages: PAGES,
    mismatches,
    zswpout: out.zswpout,
    written_back_pages: out.written_back_pages,
    Zswapped: out.Zswapped,
    compressed_bytes: out.compressed_bytes,
    zswpin: done.zswpin,
    pswpin: done.pswpin,
  }),
);
