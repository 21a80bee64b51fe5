import { z } from "zod";

/** The trainer's three utterance features, named by the folder the Emotion-LLaMA trainer reads. */
export const ENCODERS = ["HL-UTT", "mae_340_UTT", "maeV_399_UTT"] as const;
export type EncoderName = (typeof ENCODERS)[number];

/** Every trainer feature is one float32 vector of this many values. */
export const FEATURE_DIM = 1024;

/** `onnx:<file>`: merr preprocesses, runs the model with onnxruntime-node and pools. */
export const OnnxExtractor = z.object({
  kind: z.literal("onnx"),
  /** Absolute path of the .onnx file (the same path on every worker). */
  model: z.string().min(1),
  /** SHA-256 of the model file, taken when the build was planned: part of the record's key. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a 64-digit hex SHA-256 (merr build --features computes it)"),
});

/** `command:<template>`: an existing extractor runs per clip (argv, no shell) and writes `{out}`. */
export const CommandExtractor = z.object({
  kind: z.literal("command"),
  /** The program and its arguments; `{audio}` `{frames}` `{faces}` `{video}` `{out}` are replaced per clip. */
  argv: z.array(z.string()).min(1),
});

export const ExtractorSpec = z.discriminatedUnion("kind", [OnnxExtractor, CommandExtractor]);
export type ExtractorSpec = z.infer<typeof ExtractorSpec>;
export type OnnxExtractor = z.infer<typeof OnnxExtractor>;
