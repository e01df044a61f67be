// The codecs of one Zswap, by the id each entry records (its row's `codec` column): ids
// 0..COMPRESSOR_NAMES.length-1 are the codecs by name, without parameters; the DICTS_KEPT_MAX ids
// after them are zstd with a dictionary. A dictionary keeps its id while live entries were
// compressed with it, so they stay readable after the dictionary changes; an id is given to a new
// dictionary only when no live entry and no current codec uses it.

import { assert } from "../assert.ts";
import {
  COMPRESSOR_NAMES,
  type Compressor,
  type CompressorName,
  type CompressorParams,
  compressorCreate,
  compressorId,
} from "../compress/index.ts";
import { DICTS_KEPT_MAX } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { CODEC_ID_MASK } from "./entries.ts";

/** The first id of a codec with a dictionary. */
const DICT_ID_FIRST = COMPRESSOR_NAMES.length;
assert(DICT_ID_FIRST + DICTS_KEPT_MAX <= CODEC_ID_MASK + 1, "codec ids fit below INCOMPRESSIBLE");

/**
 * Whether codec id `id` is a codec by name alone, which a codec thread can make from
 * COMPRESSOR_NAMES[id]; a dictionary's codec runs on the main thread only.
 */
export function codecIdPlain(id: number): boolean {
  return id < DICT_ID_FIRST;
}

export class CodecSlots {
  readonly #codecs: (Compressor | undefined)[] = [];
  /** The dictionary of each dictionary id (DICT_ID_FIRST + k). */
  readonly #dicts: (Uint8Array | undefined)[] = new Array(DICTS_KEPT_MAX).fill(undefined);

  /** The codec of id `id`, which an entry or load() gave. */
  get(id: number): Compressor {
    return this.#codecs[id]!;
  }

  /** The id of codec `name` without parameters (as recompressors are), loading it if need be. */
  byName(name: string): number {
    const id = compressorId(name as CompressorName);
    this.#codecs[id] ??= compressorCreate(name);
    return id;
  }

  /**
   * The id of codec `name` with `params`, loading it if need be. A new dictionary takes an id
   * that `inUse` says no live entry has; with all DICTS_KEPT_MAX in use it is ZSWAP_E_OPTION, and
   * nothing changed.
   */
  load(name: string, params: CompressorParams, inUse: () => ReadonlySet<number>): number {
    const dict = params.dictionary;
    if (dict === undefined) return this.byName(name);
    const same = this.#dicts.findIndex((d) => d !== undefined && Buffer.compare(d, dict) === 0);
    if (same >= 0) return DICT_ID_FIRST + same;
    const used = inUse();
    const k = this.#dicts.findIndex((_, i) => !used.has(DICT_ID_FIRST + i));
    if (k < 0) {
      throw new ZswapOptionError(
        `${DICTS_KEPT_MAX} zstd dictionaries are in use by stored pages; a new one can be set once the pages of one are gone`,
      );
    }
    const codec = compressorCreate(name, { dictionary: dict }); // may throw: nothing changed yet
    this.#codecs[DICT_ID_FIRST + k] = codec;
    this.#dicts[k] = dict;
    return DICT_ID_FIRST + k;
  }
}
