// zswap-ts codecs: lz4 (fast and HC) and zstd, one page per call, through caller-owned buffers.
//
// Each factory makes one codec context, reused for every call, and returns its two functions:
//   lz4()         { compress(src, dst, capacity), decompress(src, start, end, dst) }
//   lz4hc(level)  the same, compressing with LZ4_compress_HC_extStateHC_fastReset
//   zstd(level, dict?)  the same over a ZSTD_CCtx and a ZSTD_DCtx; with a dictionary (a
//                 Uint8Array in zstd's format), over a ZSTD_CDict and a ZSTD_DDict made from it
//   zstdDictId(dict)    the dictionary's id, 0 when the bytes are not a zstd dictionary
//   zstdTrain(dst, samples, sampleBytes)  zstd's trainer (ZDICT_trainFromBuffer) over samples of
//                 sampleBytes each, laid end to end; writes the dictionary into dst and returns
//                 its length, or throws an Error of code "ZDICT" naming zstd's reason
// The context travels as the functions' own data, not as a wrapped `this`, which saves each
// call an unwrap; it is freed when both functions have been collected.
//
// compress returns the compressed length, or 0 when it does not fit in `capacity` bytes (which
// must not exceed dst's length). decompress returns the bytes produced, or -1 when src[start,
// end) is not a valid stream that fits dst. Neither throws for data; arguments of the wrong type
// or out of range are the caller's bug and throw a TypeError or RangeError.
//
// The libraries are linked statically (see binding.gyp), so the .node needs nothing at run time.

#define NAPI_VERSION 8
#define LZ4_STATIC_LINKING_ONLY
#define LZ4_HC_STATIC_LINKING_ONLY
#define ZSTD_STATIC_LINKING_ONLY
#include <lz4.h>
#include <lz4hc.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zdict.h>
#include <zstd.h>

// Debian's libzstd.a is compiled position-dependent (see binding.gyp), and its dictionary
// builder names libc's `stderr` by a PC-relative relocation, which a shared object cannot bind to
// libc. This hidden definition binds it inside the .node instead. The trainer prints nothing at
// the notification level ZDICT_trainFromBuffer uses (0); init() points it at fd 2 all the same.
__attribute__((visibility("hidden"))) FILE* stderr;

// ---- contexts -------------------------------------------------------------------------------

typedef enum { CODEC_LZ4, CODEC_LZ4HC, CODEC_ZSTD } codec_t;

typedef struct {
  codec_t codec;
  int level;
  /** Functions still holding the context; it is freed when the last one is collected. */
  int refs;
  /** Bytes reported to V8 as held outside its heap, so that dropped contexts get collected. */
  int64_t external_bytes;
  /** LZ4_stream_t, or LZ4_streamHC_t (malloc aligns them as their unions require). */
  void* lz4;
  ZSTD_CCtx* cctx;
  ZSTD_DCtx* dctx;
  /** zstd with a dictionary: both digested once, used for every call. */
  ZSTD_CDict* cdict;
  ZSTD_DDict* ddict;
} ctx_t;

static void ctx_free(ctx_t* ctx) {
  free(ctx->lz4);
  ZSTD_freeCCtx(ctx->cctx);
  ZSTD_freeDCtx(ctx->dctx);
  ZSTD_freeCDict(ctx->cdict);
  ZSTD_freeDDict(ctx->ddict);
  free(ctx);
}

/** Frees a context whose bytes were reported to V8, and withdraws them. */
static void ctx_drop(napi_env env, ctx_t* ctx) {
  int64_t total;
  napi_adjust_external_memory(env, -ctx->external_bytes, &total);
  ctx_free(ctx);
}

static void ctx_release(napi_env env, void* data, void* hint) {
  (void)hint;
  ctx_t* ctx = data;
  if (--ctx->refs == 0) ctx_drop(env, ctx);
}

typedef struct {
  const uint8_t* data;
  size_t length;
} dict_t;

/** A context ready for its first call, or NULL when out of memory (or a dictionary zstd refuses). */
static ctx_t* ctx_new(codec_t codec, int level, dict_t dict) {
  ctx_t* ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return NULL;
  ctx->codec = codec;
  ctx->level = level;
  int ok = 0;
  switch (codec) {
    case CODEC_LZ4:
      ctx->external_bytes = sizeof(LZ4_stream_t);
      ctx->lz4 = malloc(sizeof(LZ4_stream_t));
      ok = ctx->lz4 != NULL && LZ4_initStream(ctx->lz4, sizeof(LZ4_stream_t)) != NULL;
      break;
    case CODEC_LZ4HC:
      ctx->external_bytes = sizeof(LZ4_streamHC_t);
      ctx->lz4 = malloc(sizeof(LZ4_streamHC_t));
      ok = ctx->lz4 != NULL && LZ4_initStreamHC(ctx->lz4, sizeof(LZ4_streamHC_t)) != NULL;
      break;
    case CODEC_ZSTD:
      // The contexts grow to this on their first call.
      ctx->external_bytes = ZSTD_estimateCCtxSize(level) + ZSTD_estimateDCtxSize();
      ctx->cctx = ZSTD_createCCtx();
      ctx->dctx = ZSTD_createDCtx();
      ok = ctx->cctx != NULL && ctx->dctx != NULL;
      if (ok && dict.data != NULL) {
        ctx->cdict = ZSTD_createCDict(dict.data, dict.length, level);
        ctx->ddict = ZSTD_createDDict(dict.data, dict.length);
        ok = ctx->cdict != NULL && ctx->ddict != NULL;
        if (ok) ctx->external_bytes += ZSTD_sizeof_CDict(ctx->cdict) + ZSTD_sizeof_DDict(ctx->ddict);
      }
      break;
  }
  if (!ok) {
    ctx_free(ctx);
    return NULL;
  }
  return ctx;
}

// ---- arguments ------------------------------------------------------------------------------

typedef struct {
  uint8_t* data;
  size_t length;
} bytes_t;

/** A Uint8Array (or Buffer) argument's bytes; false (with a TypeError pending) otherwise. */
static int bytes_get(napi_env env, napi_value value, const char* message, bytes_t* out) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &out->length, (void**)&out->data, &buffer,
                               &offset) == napi_ok &&
      type == napi_uint8_array) {
    return 1;
  }
  napi_throw_type_error(env, NULL, message);
  return 0;
}

/** An integer argument in 0..max; false (with a RangeError pending) otherwise. */
static int index_get(napi_env env, napi_value value, size_t max, const char* message,
                     size_t* out) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0) || d > (double)max ||
      d != (double)(int64_t)d) {
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  *out = (size_t)d;
  return 1;
}

/** compress's (src, dst, capacity): capacity <= dst.length, sizes within the codecs' int range. */
static int compress_args(napi_env env, napi_callback_info info, ctx_t** ctx, bytes_t* src,
                         bytes_t* dst, int* capacity) {
  napi_value argv[3];
  size_t argc = 3;
  size_t cap;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void**)ctx) != napi_ok ||
      !bytes_get(env, argv[0], "src must be a Uint8Array", src) ||
      !bytes_get(env, argv[1], "dst must be a Uint8Array", dst) ||
      !index_get(env, argv[2], dst->length, "capacity must be an integer in 0..dst.length",
                 &cap)) {
    return 0;
  }
  if (src->length > LZ4_MAX_INPUT_SIZE || cap > INT32_MAX) {
    napi_throw_range_error(env, NULL, "src or capacity too large");
    return 0;
  }
  *capacity = (int)cap;
  return 1;
}

/** decompress's (src, start, end, dst): start <= end <= src.length; src becomes [start, end). */
static int decompress_args(napi_env env, napi_callback_info info, ctx_t** ctx, bytes_t* src,
                           bytes_t* dst) {
  napi_value argv[4];
  size_t argc = 4;
  size_t start, end;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void**)ctx) != napi_ok ||
      !bytes_get(env, argv[0], "src must be a Uint8Array", src) ||
      !index_get(env, argv[2], src->length, "end must be an integer in 0..src.length", &end) ||
      !index_get(env, argv[1], end, "start must be an integer in 0..end", &start) ||
      !bytes_get(env, argv[3], "dst must be a Uint8Array", dst)) {
    return 0;
  }
  if (end - start > LZ4_MAX_INPUT_SIZE || dst->length > INT32_MAX) {
    napi_throw_range_error(env, NULL, "src or dst too large");
    return 0;
  }
  src->data += start;
  src->length = end - start;
  return 1;
}

static napi_value int_make(napi_env env, int64_t n) {
  napi_value v;
  return napi_create_int64(env, n, &v) == napi_ok ? v : NULL;
}

// ---- compress and decompress ----------------------------------------------------------------

static napi_value compress(napi_env env, napi_callback_info info) {
  ctx_t* ctx;
  bytes_t src, dst;
  int cap;
  if (!compress_args(env, info, &ctx, &src, &dst, &cap)) return NULL;
  const char* in = (const char*)src.data;
  char* out = (char*)dst.data;
  int n = (int)src.length;
  switch (ctx->codec) {
    case CODEC_LZ4:
      // Initialized once (LZ4_initStream): a fast reset is all a new input needs.
      return int_make(env, LZ4_compress_fast_extState_fastReset(ctx->lz4, in, out, n, cap, 1));
    case CODEC_LZ4HC:
      return int_make(env,
                      LZ4_compress_HC_extStateHC_fastReset(ctx->lz4, in, out, n, cap, ctx->level));
    case CODEC_ZSTD: {
      size_t r = ctx->cdict != NULL
                     ? ZSTD_compress_usingCDict(ctx->cctx, out, (size_t)cap, in, src.length,
                                                ctx->cdict)
                     : ZSTD_compressCCtx(ctx->cctx, out, (size_t)cap, in, src.length, ctx->level);
      // dstSize_tooSmall is the expected "does not fit"; no other error can come from a valid
      // level and context, and any would mean the same: the page is not stored compressed.
      return int_make(env, ZSTD_isError(r) ? 0 : (int64_t)r);
    }
  }
  return NULL;
}

static napi_value decompress(napi_env env, napi_callback_info info) {
  ctx_t* ctx;
  bytes_t src, dst;
  if (!decompress_args(env, info, &ctx, &src, &dst)) return NULL;
  if (ctx->codec == CODEC_ZSTD) {
    // A frame made with another dictionary (or none) fails its dictionary id check: -1.
    size_t r = ctx->ddict != NULL ? ZSTD_decompress_usingDDict(ctx->dctx, dst.data, dst.length,
                                                               src.data, src.length, ctx->ddict)
                                  : ZSTD_decompressDCtx(ctx->dctx, dst.data, dst.length,
                                                        src.data, src.length);
    return int_make(env, ZSTD_isError(r) ? -1 : (int64_t)r);
  }
  int n = LZ4_decompress_safe((const char*)src.data, (char*)dst.data, (int)src.length,
                              (int)dst.length);
  return int_make(env, n < 0 ? -1 : n);
}

// ---- factories and module -------------------------------------------------------------------

/** { compress, decompress } over a new context; each function holds a reference to it. */
static napi_value codec_make(napi_env env, codec_t codec, int level, dict_t dict) {
  ctx_t* ctx = ctx_new(codec, level, dict);
  int64_t total;
  if (ctx == NULL || napi_adjust_external_memory(env, ctx->external_bytes, &total) != napi_ok) {
    if (ctx != NULL) ctx_free(ctx);
    napi_throw_error(env, NULL, "out of memory for a codec context");
    return NULL;
  }
  const char* names[2] = {"compress", "decompress"};
  napi_callback calls[2] = {compress, decompress};
  napi_value obj, fn;
  int ok = napi_create_object(env, &obj) == napi_ok;
  for (int i = 0; ok && i < 2; i++) {
    ok = napi_create_function(env, names[i], NAPI_AUTO_LENGTH, calls[i], ctx, &fn) == napi_ok &&
         napi_add_finalizer(env, fn, ctx, ctx_release, NULL, NULL) == napi_ok;
    if (ok) ctx->refs++;
    ok = ok && napi_set_named_property(env, obj, names[i], fn) == napi_ok;
  }
  // On failure, a function that holds the context frees it when collected; else it goes now.
  if (!ok && ctx->refs == 0) ctx_drop(env, ctx);
  return ok ? obj : NULL;
}

/**
 * The level argument of lz4hc() and zstd(): an integer in min..max; and, where `dict` is given,
 * the optional dictionary after it (a Uint8Array; absent or undefined for none).
 */
static int level_get(napi_env env, napi_callback_info info, int min, int max, int* level,
                     dict_t* dict) {
  napi_value argv[2];
  size_t argc = 2;
  int32_t v;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &v) != napi_ok || v < min || v > max) {
    napi_throw_range_error(env, NULL, "level out of range");
    return 0;
  }
  *level = v;
  if (dict == NULL) return 1;
  napi_valuetype type = napi_undefined;
  if (argc >= 2 && napi_typeof(env, argv[1], &type) != napi_ok) return 0;
  dict->data = NULL;
  dict->length = 0;
  if (type == napi_undefined) return 1;
  bytes_t b;
  if (!bytes_get(env, argv[1], "dict must be a Uint8Array", &b)) return 0;
  dict->data = b.data;
  dict->length = b.length;
  return 1;
}

static const dict_t NO_DICT = {NULL, 0};

static napi_value lz4_new(napi_env env, napi_callback_info info) {
  (void)info;
  return codec_make(env, CODEC_LZ4, 1, NO_DICT);
}

static napi_value lz4hc_new(napi_env env, napi_callback_info info) {
  int level;
  return level_get(env, info, 1, LZ4HC_CLEVEL_MAX, &level, NULL)
             ? codec_make(env, CODEC_LZ4HC, level, NO_DICT)
             : NULL;
}

static napi_value zstd_new(napi_env env, napi_callback_info info) {
  int level;
  dict_t dict;
  return level_get(env, info, ZSTD_minCLevel(), ZSTD_maxCLevel(), &level, &dict)
             ? codec_make(env, CODEC_ZSTD, level, dict)
             : NULL;
}

// ---- dictionaries ---------------------------------------------------------------------------

static napi_value zstd_dict_id(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  bytes_t dict;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||
      !bytes_get(env, argv[0], "dict must be a Uint8Array", &dict)) {
    return NULL;
  }
  return int_make(env, ZSTD_getDictID_fromDict(dict.data, dict.length));
}

/** zstdTrain(dst, samples, sampleBytes): the trainer over samples.length / sampleBytes samples. */
static napi_value zstd_train(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  bytes_t dst, samples;
  size_t sample_bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||
      !bytes_get(env, argv[0], "dst must be a Uint8Array", &dst) ||
      !bytes_get(env, argv[1], "samples must be a Uint8Array", &samples) ||
      !index_get(env, argv[2], UINT32_MAX, "sampleBytes must be an integer in 1..2^32-1",
                 &sample_bytes)) {
    return NULL;
  }
  if (sample_bytes == 0 || samples.length % sample_bytes != 0) {
    napi_throw_range_error(env, NULL, "samples must be a whole number of sampleBytes");
    return NULL;
  }
  size_t count = samples.length / sample_bytes;
  size_t* sizes = malloc((count > 0 ? count : 1) * sizeof *sizes);
  if (sizes == NULL) {
    napi_throw_error(env, NULL, "out of memory for the samples' sizes");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) sizes[i] = sample_bytes;
  size_t r = ZDICT_trainFromBuffer(dst.data, dst.length, samples.data, sizes, (unsigned)count);
  free(sizes);
  if (ZDICT_isError(r)) {
    napi_throw_error(env, "ZDICT", ZDICT_getErrorName(r));
    return NULL;
  }
  return int_make(env, (int64_t)r);
}

static napi_value init(napi_env env, napi_value exports) {
  if (stderr == NULL) stderr = fdopen(2, "w");
  napi_property_descriptor props[] = {
      {"lz4", NULL, lz4_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lz4hc", NULL, lz4hc_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zstd", NULL, zstd_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zstdDictId", NULL, zstd_dict_id, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zstdTrain", NULL, zstd_train, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lz4Version", NULL, NULL, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zstdVersion", NULL, NULL, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  // The versions linked in, as the libraries report them at run time.
  if (napi_create_string_utf8(env, LZ4_versionString(), NAPI_AUTO_LENGTH, &props[5].value) !=
          napi_ok ||
      napi_create_string_utf8(env, ZSTD_versionString(), NAPI_AUTO_LENGTH, &props[6].value) !=
          napi_ok ||
      napi_define_properties(env, exports, 7, props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
