/** merr's built-in face analyzer: OpenFace-compatible AU CSVs without an OpenFace install. */
export { builtinExtractor, createBuiltinExtractor, sharedFaceAnalyzer, meanLuma, BUILTIN_VERSION, type BuiltinExtractorOptions } from "./extractor.ts";
export { createFaceAnalyzer, createFaceAnalyzerFrom, upscaleFactor, EXPRESSIONS, type Expression, type FaceAnalyzer, type FaceAnalyzerOptions, type FaceObservation } from "./face-analyzer.ts";
export { loadHuman, humanConfig, humanPaths, type HumanInfo } from "./human.ts";
export { FaceSidecarSchema, FaceSidecarFrameSchema, type FaceSidecar, type FaceSidecarFrame } from "./sidecar.ts";
export { openFaceColumns, formatCsv, formatRow, type CsvRow } from "./openface-csv.ts";
export { estimateAus, AU_DEFINITIONS, NEUTRAL_NORMS, percentile, type AuFrame, type AuDefinition, type EstimateOptions } from "./au-estimate.ts";
export { frontalise, measure, gazeAngles, LM, MEASURE_NAMES, type FaceMeasures, type Frontal, type HeadRotation, type Point3 } from "./geometry.ts";
