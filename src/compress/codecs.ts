// The codecs, each an adapter over a real library, registered by name at import.
//
// Buffers: every adapter compresses into the caller's buffer. lz4 and lzo and zstd decompress
// into the caller's page; deflate (node:zlib) returns a fresh buffer and is the slow last resort.

import zlib from "node:zlib";
import { PAGE_SIZE } from "../constants.ts";
import { type CompressorFactory, compressorRegister, requireNative } from "./compressor.ts";

interface Lz4Binding {
  encodeBlock(src: Uint8Array, dst: Uint8Array, start: number, end: number): number;
  encodeBlockHC(src: Uint8Array, dst: Uint8Array, level: number): number;
  decodeBlock(src: Uint8Array, dst: Uint8Array, start: number, end: number): number;
}

interface LzoBinding {
  compress(src: Uint8Array, dst: Uint8Array): { err: number; len: number };
  decompress(src: Uint8Array, dst: Uint8Array): { err: number; len: number };
}

interface ZstdBinding {
  CCtx: new () => { compress(dst: Uint8Array, src: Uint8Array, level: number): number };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
}

/** lz4hc's level: the library's default (LZ4HC_CLEVEL_DEFAULT). */
const LZ4HC_LEVEL = 9;
/** zstd's level: the kernel's and the library's default (ZSTD_CLEVEL_DEFAULT). */
const ZSTD_LEVEL = 3;
/** deflate's window: 4 KiB covers the whole page and keeps zlib's per-call setup small. */
const DEFLATE_OPTIONS: zlib.ZlibOptions = { windowBits: 12, memLevel: 8, level: 6 };

/** Marks a codec's output as not fitting the caller's limit. */
const tooBig = (n: number, limit: number): number => (n > limit ? 0 : n);

function lz4Load(): CompressorFactory {
  const lz4 = requireNative("lz4") as Lz4Binding;
  return () => ({
    name: "lz4",
    // LZ4_compress_default stops early and returns 0 once the output would pass the end index.
    compress: (src, dst, limit) =>
      lz4.encodeBlock(src, dst, 0, Math.max(0, Math.min(Math.floor(limit), dst.length))),
    decompress: (src, start, end, dst) => lz4.decodeBlock(src, dst, start, end),
  });
}

function lz4hcLoad(): CompressorFactory {
  const lz4 = requireNative("lz4") as Lz4Binding;
  return () => ({
    name: "lz4hc",
    compress: (src, dst, limit) => tooBig(lz4.encodeBlockHC(src, dst, LZ4HC_LEVEL), limit),
    decompress: (src, start, end, dst) => lz4.decodeBlock(src, dst, start, end),
  });
}

function lzoLoad(): CompressorFactory {
  // The raw binding (lzo1x_1 from minilzo): the package's wrapper allocates per call.
  const lzo = requireNative("lzo/build/Release/node_lzo.node") as LzoBinding;
  return () => ({
    name: "lzo",
    compress(src, dst, limit) {
      // minilzo does not bound its output: dst must hold the worst case, which
      // COMPRESS_BUFFER_BYTES guarantees for a page (n + n/16 + 64 + 3).
      const r = lzo.compress(src, dst);
      return r.err === 0 ? tooBig(r.len, limit) : 0;
    },
    decompress(src, start, end, dst) {
      const r = lzo.decompress(src.subarray(start, end), dst);
      return r.err === 0 ? r.len : -1;
    },
  });
}

function zstdLoad(): CompressorFactory {
  const zstd = requireNative("zstd-napi/binding") as ZstdBinding;
  return () => {
    const cctx = new zstd.CCtx();
    const dctx = new zstd.DCtx();
    return {
      name: "zstd",
      // Given the whole buffer, since the binding throws (slowly) when the output overflows.
      compress: (src, dst, limit) => tooBig(cctx.compress(dst, src, ZSTD_LEVEL), limit),
      decompress(src, start, end, dst) {
        try {
          return dctx.decompress(dst, src.subarray(start, end));
        } catch {
          return -1;
        }
      },
    };
  };
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
compressorRegister("lz4", lz4Load);
compressorRegister("lz4hc", lz4hcLoad);
compressorRegister("zstd", zstdLoad);
compressorRegister("deflate", deflateLoad);
