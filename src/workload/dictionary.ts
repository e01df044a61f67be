// zstd dictionaries as files: trained from a page corpus (`zswap dict train`), read back for a
// run. A dictionary file is zstd's own format, as `zstd --train` writes it, so either tool's
// dictionaries work with the other.

import fs from "node:fs";
import { dictionaryId, dictionaryTrain } from "../compress/index.ts";
import { DICT_BYTES_MAX, DICT_TRAIN_PAGES_MAX } from "../constants.ts";
import { ioErrorFrom, ZswapInputError } from "../errors.ts";
import { fileNewCheck, fileNewWrite } from "../file-new.ts";
import { isSameFilled } from "../swap/same-filled.ts";
import { corpusRead } from "./corpus.ts";

/** What training made: the dictionary, and the pages it learnt from. */
export interface DictionaryTrained {
  dictionary: Uint8Array;
  /** zstd's id of the dictionary (in its header, and in every frame made with it). */
  id: number;
  /** Pages read, and of them those given to the trainer (same-filled pages never reach a codec). */
  pagesRead: number;
  pagesUsed: number;
}

/** Trains a dictionary of at most `bytesMax` bytes on the pages that reach a codec. */
export function dictionaryFromPages(
  pages: readonly Uint8Array[],
  source: string,
  bytesMax?: number,
): DictionaryTrained {
  const used = pages.filter((p) => !isSameFilled(p));
  const dictionary = dictionaryTrain(used, `${source} (same-filled pages left out)`, bytesMax);
  const id = dictionaryId(dictionary) as number;
  return {
    dictionary,
    id,
    pagesRead: pages.length,
    pagesUsed: Math.min(used.length, DICT_TRAIN_PAGES_MAX),
  };
}

/**
 * `zswap dict train`: the first DICT_TRAIN_PAGES_MAX pages of corpus `pagesFrom` train a
 * dictionary written to `out`, a new file (never over an existing one, whole or not at all).
 */
export async function dictionaryTrainFile(
  pagesFrom: string,
  out: string,
  bytesMax: number | undefined,
  signal?: AbortSignal,
): Promise<DictionaryTrained> {
  await fileNewCheck(out, "--out");
  const pages = corpusRead(pagesFrom, DICT_TRAIN_PAGES_MAX);
  const trained = dictionaryFromPages(pages, `page corpus ${pagesFrom}`, bytesMax);
  signal?.throwIfAborted();
  await fileNewWrite(out, "--out", async (handle) => {
    await handle.writeFile(trained.dictionary);
  });
  return trained;
}

/** Reads a dictionary file; one that is not a zstd dictionary is ZSWAP_E_INPUT naming it. */
export function dictionaryRead(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    const size = fs.statSync(path).size;
    if (size > DICT_BYTES_MAX) {
      throw new ZswapInputError(`dictionary ${path} is ${size} bytes, more than ${DICT_BYTES_MAX}`);
    }
    bytes = fs.readFileSync(path);
  } catch (error) {
    throw ioErrorFrom(error, `cannot read dictionary ${path}`);
  }
  const id = dictionaryId(new Uint8Array(bytes));
  if (typeof id === "string") throw new ZswapInputError(`dictionary ${path} ${id}`);
  return new Uint8Array(bytes);
}
