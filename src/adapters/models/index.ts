export type * from "./types.ts";
export { defineModelBackend, type BackendDeps, type ModelBackend } from "./backend.ts";
export {
  createAnswerCache,
  generateCacheKey,
  transcribeCacheKey,
  withAnswerCache,
  type AnswerCache,
  type CachedAnswer,
} from "./cache.ts";
export { GEMINI_TRANSCRIBE_INSTRUCTION } from "./gemini.ts";
export { systemClock, type Clock } from "./clock.ts";
export { readMedia, type MediaPart } from "./media.ts";
export { callWithPolicy, connectionFailure, httpFailure, parseRetryAfter, type RequestPolicy } from "./policy.ts";
export {
  MODEL_BACKENDS,
  backendSettingsOf,
  createModelClient,
  modelClientFromContext,
  type ModelClientDeps,
  type ModelContext,
} from "./registry.ts";
export {
  BackendSettingsSchema,
  DEFAULT_BASE_URLS,
  ModelSettingsSchema,
  modelSettingsFromEnv,
  parseModelSettings,
  type BackendSettings,
  type ModelSettings,
  type ModelSettingsInput,
} from "./settings.ts";
export { MODEL_BACKEND_NAMES, parseModelSpec, type ModelBackendName, type ModelSpec } from "./spec.ts";
export { looksLikeRefusal, parseJsonAnswer, validateAnswerText, type AnswerLimits } from "./validate.ts";
