// The codecs, each an adapter over a real library, registered by name and loaded on first use.
//
// lz4, lz4hc and zstd: this package's own N-API addon (native/), linked statically against the
// released lz4 and zstd libraries; node-gyp-build loads the prebuilt binary the package ships
// for this platform, or the one built at install where there is none. Every call works in the
// caller's buffers, with a context made once per codec instance.
// deflate: node:zlib, which returns a fresh buffer per call: the slow last resort.
// lzo: opt-in (GPL-2.0-or-later), through the public API of the optional `lzo` package, which
// allocates per call.

import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { PAGE_SIZE } from "../constants.ts";
import {
  type CompressorFactory,
  type CompressorParams,
  compressorRegister,
  requireNative,
} from "./compressor.ts";

/** One codec context's functions: see native/codecs.c. */
interface NativeCodec {
  /** The compressed length, or 0 when it does not fit in `capacity` (<= dst.length) bytes. */
  compress(src: Uint8Array, dst: Uint8Array, capacity: number): number;
  /** Bytes produced from src[start, end) into dst, or -1 for a corrupt stream. */
  decompress(src: Uint8Array, start: number, end: number, dst: Uint8Array): number;
}

/** The addon's exports: see native/codecs.c. */
export interface NativeCodecs {
  lz4(): NativeCodec;
  lz4hc(level: number): NativeCodec;
  /** zstd, with a dictionary in zstd's format when one is given. */
  zstd(level: number, dict?: Uint8Array): NativeCodec;
  /** The dictionary's id, 0 when the bytes are not a zstd dictionary. */
  zstdDictId(dict: Uint8Array): number;
  /** zstd's trainer over samples of sampleBytes each: the dictionary's length in dst; throws zstd's reason. */
  zstdTrain(dst: Uint8Array, samples: Uint8Array, sampleBytes: number): number;
}

interface LzoModule {
  compress(src: Buffer): Buffer;
  decompress(src: Buffer, length: number): Buffer;
}

/** lz4hc's level: the library's default (LZ4HC_CLEVEL_DEFAULT). */
const LZ4HC_LEVEL = 9;
/** zstd's level: the kernel's and the library's default (ZSTD_CLEVEL_DEFAULT). */
const ZSTD_LEVEL = 3;
/** deflate's window: 4 KiB covers the whole page and keeps zlib's per-call setup small. */
const DEFLATE_OPTIONS: zlib.ZlibOptions = { windowBits: 12, memLevel: 8, level: 6 };

/** The addon's folder: src/compress/ and its compiled twin both sit two levels below the root. */
const NATIVE_DIR = fileURLToPath(new URL("../../native", import.meta.url));

let addon: NativeCodecs | undefined;

export function addonLoad(): NativeCodecs {
  addon ??= requireNative("node-gyp-build")(NATIVE_DIR) as NativeCodecs;
  return addon;
}

/**
 * A codec over one of the addon's contexts. lz4 is given the limit as its capacity, so it stops
 * as soon as a page will not fit; zstd is given the whole buffer and the limit checked after,
 * since with less room than its bound it can fail on an output that would just fit (and runs
 * slower, by its own documentation).
 */
function nativeFactory(
  name: "lz4" | "lz4hc" | "zstd",
  make: (params: CompressorParams) => NativeCodec,
  stopsAtLimit: boolean,
): CompressorFactory {
  make({}); // fails here, at load, when the addon or the codec is missing
  return (params) => {
    const codec = make(params);
    return {
      name,
      compress: stopsAtLimit
        ? (src, dst, limit) =>
            codec.compress(src, dst, Math.max(0, Math.min(Math.floor(limit), dst.length)))
        : (src, dst, limit) => tooBig(codec.compress(src, dst, dst.length), limit),
      decompress: (src, start, end, dst) => codec.decompress(src, start, end, dst),
    };
  };
}

/** Marks a codec's output as not fitting the caller's limit. */
const tooBig = (n: number, limit: number): number => (n > limit ? 0 : n);

/** A Buffer over the same bytes (no copy): what a Buffer-only API needs. */
const bufferOf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function lzoLoad(): CompressorFactory {
  const lzo = requireNative("lzo") as LzoModule;
  return () => ({
    name: "lzo",
    compress(src, dst, limit) {
      const out = lzo.compress(bufferOf(src));
      if (out.length > dst.length) return 0;
      dst.set(out);
      return tooBig(out.length, limit);
    },
    decompress(src, start, end, dst) {
      try {
        const out = lzo.decompress(bufferOf(src.subarray(start, end)), dst.length);
        dst.set(out);
        return out.length;
      } catch {
        return -1;
      }
    },
  });
}

function deflateLoad(): CompressorFactory {
  return () => ({
    name: "deflate",
    compress(src, dst, limit) {
      const out = zlib.deflateRawSync(src, DEFLATE_OPTIONS);
      if (out.length > limit || out.length > dst.length) return 0;
      dst.set(out);
      return out.length;
    },
    decompress(src, start, end, dst) {
      try {
        const out = zlib.inflateRawSync(src.subarray(start, end), {
          windowBits: DEFLATE_OPTIONS.windowBits,
          maxOutputLength: PAGE_SIZE,
        });
        dst.set(out);
        return out.length;
      } catch {
        return -1;
      }
    },
  });
}

compressorRegister("lzo", lzoLoad);
compressorRegister("lz4", () => nativeFactory("lz4", () => addonLoad().lz4(), true));
compressorRegister("lz4hc", () =>
  nativeFactory("lz4hc", () => addonLoad().lz4hc(LZ4HC_LEVEL), true),
);
compressorRegister("zstd", () =>
  nativeFactory("zstd", (params) => addonLoad().zstd(ZSTD_LEVEL, params.dictionary), false),
);
compressorRegister("deflate", deflateLoad);
