// Realistic test pages: this process's own anonymous memory (Linux), plus the generator's mix.

import { capturePages } from "../src/workload/capture.ts";
import { generatePages } from "../src/workload/generate.ts";

/** Up to `captured` pages of this process's memory and `generated` pages of the stated mix. */
export function realisticPages(captured: number, generated: number, seed = 1): Uint8Array[] {
  let own: Uint8Array[] = [];
  if (process.platform === "linux") own = capturePages("self", captured);
  return [...own, ...generatePages(generated, seed)];
}
