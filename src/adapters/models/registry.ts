import path from "node:path";
import { silentLogger, type Logger } from "../../core/logger.ts";
import type { BackendDeps, ModelBackend } from "./backend.ts";
import { createAnswerCache, withAnswerCache, type AnswerCache } from "./cache.ts";
import { geminiBackend } from "./gemini.ts";
import { systemClock, type Clock } from "./clock.ts";
import { ollamaBackend } from "./ollama.ts";
import { openaiBackend } from "./openai.ts";
import { parseModelSettings, type BackendSettings, type ModelSettings, type ModelSettingsInput } from "./settings.ts";
import { parseModelSpec, type ModelBackendName, type ModelSpec } from "./spec.ts";
import type { ModelClient } from "./types.ts";

/** Every model backend, keyed by name. No discovery at run time. */
export const MODEL_BACKENDS: Readonly<Record<ModelBackendName, ModelBackend>> = {
  ollama: ollamaBackend,
  gemini: geminiBackend,
  openai: openaiBackend,
};

export interface ModelClientDeps {
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: Logger;
  /** An explicit answer cache, or `false` for none; default: `settings.cacheDir` when set. */
  cache?: AnswerCache | false;
}

export function backendSettingsOf(settings: ModelSettings, backend: ModelBackendName): BackendSettings {
  return settings[backend];
}

/**
 * Creates a client for `spec` (`ollama:llava:13b`, `openai:Qwen2-Audio-7B-Instruct`, `gemini:gemini-1.5-flash`)
 * with the backend's timeout from `settings`, wrapped in the answer cache when
 * `settings.cacheDir` is set.
 */
export function createModelClient(
  spec: string | ModelSpec,
  settings: ModelSettings | ModelSettingsInput = {},
  deps: ModelClientDeps = {},
): ModelClient {
  const parsedSpec = typeof spec === "string" ? parseModelSpec(spec) : spec;
  const all = parseModelSettings(settings);
  const backendSettings = backendSettingsOf(all, parsedSpec.backend);
  const clock = deps.clock ?? systemClock;
  const logger = (deps.logger ?? silentLogger).child({ backend: parsedSpec.spec });
  const backendDeps: BackendDeps = {
    fetch: deps.fetch ?? globalThis.fetch,
    clock,
    logger,
  };
  const client = MODEL_BACKENDS[parsedSpec.backend].create(parsedSpec.model, backendSettings, backendDeps);
  const cache = deps.cache === false ? undefined : (deps.cache ?? (all.cacheDir ? createAnswerCache(all.cacheDir, logger) : undefined));
  return cache ? withAnswerCache(client, cache, logger) : client;
}

/** The part of a stage context that {@link modelClientFromContext} needs. */
export interface ModelContext {
  resource<T>(key: string, create: () => Promise<T>): Promise<T>;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  /** The run's output dir: answers are cached under `<out>/cache/models` unless settings name a cache dir. */
  readonly outDir?: string;
}

/**
 * The client for `spec` in a stage: one client per spec per process (via `ctx.resource`), settings from
 * `ctx.settings.models`. No cap of its own: the calls in flight are the stage jobs in flight.
 */
export async function modelClientFromContext(ctx: ModelContext, spec: string): Promise<ModelClient> {
  const parsedSpec = parseModelSpec(spec);
  const parsed = parseModelSettings(ctx.settings.models);
  const settings = parsed.cacheDir || !ctx.outDir ? parsed : { ...parsed, cacheDir: path.join(ctx.outDir, "cache", "models") };
  return ctx.resource(`model-client:${parsedSpec.spec}:${settings.cacheDir ?? ""}`, async () => createModelClient(parsedSpec, settings, { logger: ctx.logger }));
}
