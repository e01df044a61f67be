import "./codecs.ts";

export { CodecThreads, type JobDone } from "./codec-threads.ts";
export {
  COMPRESSOR_DEFAULT,
  COMPRESSOR_NAMES,
  type Compressor,
  type CompressorName,
  type CompressorParams,
  compressorCreate,
  compressorId,
  compressorsAvailable,
} from "./compressor.ts";
export { dictionaryCheck, dictionaryId, dictionaryTrain } from "./dictionary.ts";
export {
  OP_COMPRESS,
  OP_DECOMPRESS,
  OP_THROW,
  RESULT_THREAD_DIED,
  RESULT_ZERO_PAGE,
} from "./job-ring.ts";
