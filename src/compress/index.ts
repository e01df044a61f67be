import "./codecs.ts";

export {
  COMPRESSOR_DEFAULT,
  COMPRESSOR_NAMES,
  type Compressor,
  type CompressorName,
  compressorCreate,
  compressorId,
  compressorsAvailable,
} from "./compressor.ts";
