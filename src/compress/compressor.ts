// The one interface every codec implements, and the registry that finds codecs by name.

import { createRequire } from "node:module";
import { ZswapCompressorError } from "../errors.ts";

/** Codec names as zswap's `compressor` parameter spells them. */
export const COMPRESSOR_NAMES = ["lzo", "lz4", "lz4hc", "zstd", "deflate"] as const;
export type CompressorName = (typeof COMPRESSOR_NAMES)[number];

/**
 * One page in, bytes out, through caller-owned buffers so the store path allocates nothing.
 * Implementations are stateful (codec contexts) and not re-entrant; zswap holds one per name.
 */
export interface Compressor {
  readonly name: CompressorName;
  /**
   * Compresses `src` (one page) into `dst`, which holds at least COMPRESS_BUFFER_BYTES.
   * Returns the compressed length, or 0 when the result would exceed `limit` bytes.
   */
  compress(src: Uint8Array, dst: Uint8Array, limit: number): number;
  /**
   * Decompresses `src[start, end)` into `dst` (one page). Returns the number of bytes produced;
   * a negative number when the input is corrupt. Never throws for bad input.
   */
  decompress(src: Uint8Array, start: number, end: number, dst: Uint8Array): number;
}

/** CommonJS loader for the native codec packages. */
export const requireNative = createRequire(import.meta.url);

/** A codec's factory, or the reason it cannot be built on this machine. */
export type CompressorFactory = () => Compressor;

const factories = new Map<CompressorName, CompressorFactory>();
const unavailable = new Map<CompressorName, string>();

export function compressorRegister(name: CompressorName, load: () => CompressorFactory): void {
  try {
    factories.set(name, load());
  } catch (err) {
    unavailable.set(name, (err as Error).message);
  }
}

/** Names of the codecs that loaded on this machine, in COMPRESSOR_NAMES order. */
export function compressorsAvailable(): CompressorName[] {
  return COMPRESSOR_NAMES.filter((name) => factories.has(name));
}

/** Builds a fresh codec instance; an unknown or unavailable name is ZSWAP_E_COMPRESSOR. */
export function compressorCreate(name: string): Compressor {
  const factory = factories.get(name as CompressorName);
  if (factory !== undefined) return factory();
  const why = unavailable.get(name as CompressorName);
  const available = compressorsAvailable().join(", ");
  throw new ZswapCompressorError(
    why === undefined
      ? `unknown compressor "${name}"; available: ${available}`
      : `compressor "${name}" failed to load (${why}); available: ${available}`,
  );
}

/** The id an entry records for its codec: its position in COMPRESSOR_NAMES. */
export function compressorId(name: CompressorName): number {
  return COMPRESSOR_NAMES.indexOf(name);
}
