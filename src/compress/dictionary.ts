// zstd dictionaries (zram's `algorithm_params ... dict=`): trained by zstd's own trainer on
// sample pages, checked before a codec takes one. On 4 KiB inputs a dictionary gives zstd the
// history a single page lacks.

import {
  DICT_BYTES_MAX,
  DICT_TRAIN_BYTES,
  DICT_TRAIN_PAGES_MAX,
  DICT_TRAIN_PAGES_MIN,
  PAGE_SIZE,
} from "../constants.ts";
import { pageCheck, ZswapInputError, ZswapOptionError } from "../errors.ts";
import { addonLoad } from "./codecs.ts";

/**
 * The dictionary's id (zstd's, from its header) when `bytes` is a zstd dictionary of at most
 * DICT_BYTES_MAX bytes; else the reason it is not. A raw-content "dictionary" (no header) is
 * refused: it has no id, so entries could not say which one they need.
 */
export function dictionaryId(bytes: unknown): number | string {
  if (!(bytes instanceof Uint8Array)) return "is not a Uint8Array";
  if (bytes.length === 0 || bytes.length > DICT_BYTES_MAX) {
    return `is ${bytes.length} bytes, not 1..${DICT_BYTES_MAX}`;
  }
  const id = addonLoad().zstdDictId(bytes);
  return id === 0 ? "is not a zstd dictionary (no dictionary header)" : id;
}

/** The dictionary's id; anything else is ZSWAP_E_OPTION naming `what`. */
export function dictionaryCheck(bytes: unknown, what: string): number {
  const id = dictionaryId(bytes);
  if (typeof id === "string") throw new ZswapOptionError(`${what} ${id}`);
  return id;
}

/**
 * Trains a dictionary of at most `bytesMax` bytes on `pages` (zstd's ZDICT_trainFromBuffer),
 * the first DICT_TRAIN_PAGES_MAX of them. Too few pages, or pages zstd's trainer finds nothing
 * in (all alike, all random), are ZSWAP_E_INPUT naming `source`.
 */
export function dictionaryTrain(
  pages: readonly Uint8Array[],
  source: string,
  bytesMax = DICT_TRAIN_BYTES,
): Uint8Array {
  if (!Array.isArray(pages)) throw new ZswapOptionError(`${source}: pages must be an array`);
  const used = pages.slice(0, DICT_TRAIN_PAGES_MAX);
  for (const page of used) pageCheck(page);
  if (used.length < DICT_TRAIN_PAGES_MIN) {
    throw new ZswapInputError(
      `${source}: ${used.length} pages to train on; the trainer needs at least ${DICT_TRAIN_PAGES_MIN}`,
    );
  }
  if (!Number.isInteger(bytesMax) || bytesMax < 256 || bytesMax > DICT_BYTES_MAX) {
    throw new ZswapOptionError(`the dictionary size must be 256..${DICT_BYTES_MAX} bytes`);
  }
  const samples = new Uint8Array(used.length * PAGE_SIZE);
  used.forEach((p, i) => {
    samples.set(p, i * PAGE_SIZE);
  });
  const dst = new Uint8Array(bytesMax);
  let length: number;
  try {
    length = addonLoad().zstdTrain(dst, samples, PAGE_SIZE);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ZDICT") throw err; // not the trainer's verdict
    throw new ZswapInputError(
      `${source}: zstd's trainer found no dictionary in ${used.length} pages (${(err as Error).message})`,
    );
  }
  return dst.slice(0, length);
}
