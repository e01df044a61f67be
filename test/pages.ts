// Realistic test pages: this process's own anonymous memory (Linux), plus the generator's mix.

import { compressorCreate } from "../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../src/constants.ts";
import { isSameFilled } from "../src/swap/same-filled.ts";
import { capturePages } from "../src/workload/capture.ts";
import { generatePages } from "../src/workload/generate.ts";

/** Up to `captured` pages of this process's memory and `generated` pages of the stated mix. */
export function realisticPages(captured: number, generated: number, seed = 1): Uint8Array[] {
  let own: Uint8Array[] = [];
  if (process.platform === "linux") own = capturePages("self", captured);
  return [...own, ...generatePages(generated, seed)];
}

/**
 * The pages zswap takes with its defaults: not same-filled, under 80% with lz4, so that a test
 * that stores pages[i] never meets one it declines or the swap layer keeps as a value.
 */
export function storablePages(pages: readonly Uint8Array[]): Uint8Array[] {
  const lz4 = compressorCreate("lz4");
  const scratch = new Uint8Array(COMPRESS_BUFFER_BYTES);
  return pages.filter(
    (p) => !isSameFilled(p) && lz4.compress(p, scratch, (PAGE_SIZE * 80) / 100) > 0,
  );
}
