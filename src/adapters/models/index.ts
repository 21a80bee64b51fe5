export type * from "./types.ts";
export { systemClock, type Clock } from "./clock.ts";
export {
  createModelClient,
  modelClientFromContext,
} from "./registry.ts";
export {
  modelSettingsFromEnv,
  parseModelSettings,
} from "./settings.ts";
export { MODEL_BACKEND_NAMES, parseModelSpec, type ModelBackendName, type ModelSpec } from "./spec.ts";
export { checkModelBackend, type BackendCheck } from "./preflight.ts";
export { answerIsRefusal, checkEnglish, looksLikeRefusal, parseJsonAnswer } from "./validate.ts";
