import "./codecs.ts";

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
