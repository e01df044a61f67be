import "./codecs.ts";

export {
  COMPRESSOR_NAMES,
  type Compressor,
  type CompressorName,
  compressorCreate,
  compressorId,
  compressorsAvailable,
} from "./compressor.ts";
