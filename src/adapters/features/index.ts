export { ENCODERS, ExtractorSpec, type EncoderName } from "./encoders.ts";
export { resolveFeatureSpecs } from "./spec.ts";
export { loadOnnxEncoder, type OnnxEncoder } from "./onnx.ts";
export { faceFeatures, hubertFeature, type Computed } from "./run-onnx.ts";
export { runCommandExtractor } from "./command.ts";
export { encodeFeature } from "./validate.ts";
