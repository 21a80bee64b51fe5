import { modelSettingsFromEnv } from "../adapters/models/index.ts";
import type { Config } from "../core/config.ts";

/**
 * The `ctx.settings` stages of this process get: model backend URLs, limits and API keys (from the
 * environment of the process that runs the stage, never from job payloads in Redis) and tool paths.
 */
export function buildStageSettings(config: Config): Record<string, unknown> {
  return {
    models: modelSettingsFromEnv(config.env),
    openfaceBin: config.env.OPENFACE_BIN || undefined,
    /** ONNX execution providers of this worker, e.g. "cuda,cpu" (MERR_ONNX_PROVIDERS); default cpu. */
    onnxProviders: config.env.MERR_ONNX_PROVIDERS || undefined,
  };
}
