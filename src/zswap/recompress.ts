// Recompression (zram's recomp_algorithm and recompress): entries stored with the primary codec
// are compressed again with slower, stronger codecs, tried in priority order, and keep the first
// result that lands in a smaller size class of the pool (and under the threshold, when one is
// given). An entry remembers its codec, so it is only tried with the recompressors after it in
// the order. A page none of them shrinks is marked INCOMPRESSIBLE and not tried again (and is
// what writebackNow's "incompressible" type takes). Synchronous: it only uses the CPU and the
// pool; maxPages bounds one call.
//
// One entry:
//   1. skip it unless it is live, not under writeback, readable, of the type, at least
//      `threshold` bytes, not marked INCOMPRESSIBLE, with a recompressor after its codec;
//   2. decompress it into a scratch page (counts toward maxPages from here, as zram's does);
//   3. compress with each recompressor after its codec until one saves a size class;
//   4. allocate the new object, copy, then swap it for the old one (zswap's entryReplace);
//      a pool at its bound leaves the entry as it was.

import type { Compressor } from "../compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../constants.ts";
import { ZswapDataError } from "../errors.ts";
import { classOfObject, type ZsPool } from "../pool/index.ts";
import type { ByteCount, EntryIndex, Handle } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import { CODEC_ID_MASK, type EntryTable, INCOMPRESSIBLE } from "./entries.ts";
import { entryAvailable, entryIsType, type RecompressType } from "./idle.ts";

/** What recompression needs of zswap. */
export interface RecompressHost {
  readonly entries: EntryTable;
  readonly pool: ZsPool;
  /** Live entry e's pool object. */
  handleOf(e: EntryIndex): Handle;
  /** Decompresses live entry e into `into`; throws ZswapDataError (counted) when it cannot. */
  entryRead(e: EntryIndex, into: Uint8Array): void;
  /** Entry e's page is now pool object `to`, compressed by codec id `codec`; frees `from`. */
  entryReplace(e: EntryIndex, from: Handle, to: Handle, codec: number): void;
}

/** What one recompress call did. */
export interface RecompressResult {
  /** Pages decompressed and tried (what maxPages bounds). */
  tried: number;
  /** Pages now in a smaller size class. */
  recompressed: number;
  /** Compressed bytes saved. */
  savedBytes: number;
  /** Pages none of the recompressors shrank, now marked incompressible. */
  incompressible: number;
}

export interface RecompressRequest {
  type: RecompressType;
  /** Only objects of at least this many bytes, and only results below it (0: no threshold). */
  threshold: number;
  pagesMax: number;
}

export class Recompressor {
  readonly #page = new Uint8Array(PAGE_SIZE);
  readonly #dst = new Uint8Array(COMPRESS_BUFFER_BYTES);

  /** The recompressors in priority order, each with its codec id (a dictionary's, for zstd with one). */
  constructor(readonly codecs: readonly { codec: Compressor; id: number }[]) {}

  get ids(): number[] {
    return this.codecs.map((c) => c.id);
  }

  run(z: RecompressHost, req: RecompressRequest): RecompressResult {
    const t = z.entries;
    const ids = this.ids;
    const result: RecompressResult = {
      tried: 0,
      recompressed: 0,
      savedBytes: 0,
      incompressible: 0,
    };
    for (let e = 1 as EntryIndex; e < t.rowsUsed && result.tried < req.pagesMax; e++) {
      if (!entryAvailable(t, e) || !entryIsType(t, e, req.type)) continue;
      if (t.codec[e] & INCOMPRESSIBLE) continue;
      const first = ids.indexOf(t.codec[e] & CODEC_ID_MASK) + 1; // 0: the primary, or older
      if (first >= ids.length) continue;
      const h = z.handleOf(e);
      const length = z.pool.lengthOf(h);
      if (length < req.threshold) continue;
      try {
        z.entryRead(e, this.#page);
      } catch (err) {
        if (err instanceof ZswapDataError) continue; // counted; load reports it
        throw err;
      }
      result.tried++;
      const saved = this.#entryRecompress(z, e, h, length, first, req.threshold);
      if (saved > 0) {
        result.recompressed++;
        result.savedBytes += saved;
      } else if (saved === 0) {
        t.codec[e] |= INCOMPRESSIBLE;
        result.incompressible++;
      }
    }
    return result;
  }

  /**
   * Steps 3 and 4 for entry e (pool object h of `length` bytes, decompressed in #page): the
   * bytes saved; 0 when no recompressor saved a size class; -1 when the pool had no room.
   */
  #entryRecompress(
    z: RecompressHost,
    e: EntryIndex,
    h: Handle,
    length: number,
    first: number,
    threshold: number,
  ): number {
    const oldClass = classOfObject(length);
    for (let i = first; i < this.codecs.length; i++) {
      let n: number;
      try {
        n = this.codecs[i]!.codec.compress(this.#page, this.#dst, length - 1);
      } catch {
        continue;
      }
      if (n <= 0 || classOfObject(n) >= oldClass || (threshold > 0 && n >= threshold)) continue;
      let to: Handle;
      try {
        to = z.pool.malloc(n as ByteCount, e);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err; // "Array buffer allocation failed"
        return -1;
      }
      if (to === NO_HANDLE) return -1;
      z.pool.map(to).set(this.#dst.subarray(0, n), z.pool.mappedOffset);
      z.entryReplace(e, h, to, this.codecs[i]!.id);
      return length - n;
    }
    return 0;
  }
}
