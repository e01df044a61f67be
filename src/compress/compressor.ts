// The one interface every codec implements, and the registry that finds codecs by name.

import { createRequire } from "node:module";
import { ZswapCompressorError, ZswapOptionError } from "../errors.ts";

/** Codec names as zswap's `compressor` parameter spells them. */
export const COMPRESSOR_NAMES = ["lzo", "lz4", "lz4hc", "zstd", "deflate"] as const;
export type CompressorName = (typeof COMPRESSOR_NAMES)[number];

/** The codec of the library and the CLI when none is named: permissively licensed (BSD-2-Clause). */
export const COMPRESSOR_DEFAULT: CompressorName = "lz4";

/**
 * Codecs under a copyleft license, with it: never loaded unless asked for by name, so neither
 * `compressorsAvailable()` nor a default ever brings their code into the process.
 */
const OPT_IN: ReadonlyMap<CompressorName, string> = new Map([
  ["lzo", "GPL-2.0-or-later miniLZO, from the optional `lzo` package (npm i lzo)"],
]);

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

/**
 * A codec's parameters (zram's algorithm_params): a zstd dictionary, checked by
 * dictionaryCheck; no other codec takes one.
 */
export interface CompressorParams {
  dictionary?: Uint8Array;
}

/** Builds a fresh codec instance. */
export type CompressorFactory = (params: CompressorParams) => Compressor;

const loaders = new Map<CompressorName, () => CompressorFactory>();
/** Each name's factory once loaded, or why it failed to load: a name is tried once. */
const loaded = new Map<CompressorName, CompressorFactory | Error>();

/** Registers a codec; its library is loaded the first time the codec is asked for. */
export function compressorRegister(name: CompressorName, load: () => CompressorFactory): void {
  loaders.set(name, load);
}

function compressorLoad(name: CompressorName): CompressorFactory | Error {
  let result = loaded.get(name);
  if (result === undefined) {
    try {
      result = loaders.get(name)!();
    } catch (err) {
      result = err as Error;
    }
    loaded.set(name, result);
  }
  return result;
}

/** Names of the codecs that load on this machine without opting in, in COMPRESSOR_NAMES order. */
export function compressorsAvailable(): CompressorName[] {
  return COMPRESSOR_NAMES.filter(
    (name) => !OPT_IN.has(name) && typeof compressorLoad(name) === "function",
  );
}

function availableDescribe(): string {
  const optIn = [...OPT_IN].map(([name, license]) => `; opt-in: ${name} (${license})`).join("");
  return `available: ${compressorsAvailable().join(", ")}${optIn}`;
}

/**
 * Builds a fresh codec instance; an unknown or unavailable name is ZSWAP_E_COMPRESSOR, a
 * dictionary for a codec other than zstd ZSWAP_E_OPTION.
 */
export function compressorCreate(name: string, params: CompressorParams = {}): Compressor {
  if (!loaders.has(name as CompressorName)) {
    throw new ZswapCompressorError(`unknown compressor "${name}"; ${availableDescribe()}`);
  }
  if (params.dictionary !== undefined && name !== "zstd") {
    throw new ZswapOptionError(`a dictionary is for the zstd compressor, not "${name}"`);
  }
  const factory = compressorLoad(name as CompressorName);
  if (typeof factory === "function") return factory(params);
  throw new ZswapCompressorError(
    `compressor "${name}" failed to load (${factory.message.split("\n")[0]}); ${availableDescribe()}`,
  );
}

/** The id an entry records for its codec: its position in COMPRESSOR_NAMES. */
export function compressorId(name: CompressorName): number {
  return COMPRESSOR_NAMES.indexOf(name);
}
