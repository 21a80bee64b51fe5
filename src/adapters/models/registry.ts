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
import type { ModelClient, ModelRequest, TranscribeRequest } from "./types.ts";

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
 * `settings.cacheDir` is set. A call logs to its request's logger (else `deps.logger`), with `backend`.
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
  return withCallLoggers(cache ? withAnswerCache(client, cache, logger) : client, (request) => request.logger?.child({ backend: parsedSpec.spec }));
}

/** `client` whose calls log to `loggerOf(request)` (when it gives one): the client itself is shared. */
function withCallLoggers(client: ModelClient, loggerOf: (request: ModelRequest | TranscribeRequest) => Logger | undefined): ModelClient {
  const scoped = <R extends ModelRequest | TranscribeRequest>(request: R): R => {
    const logger = loggerOf(request);
    return logger ? { ...request, logger } : request;
  };
  return {
    backend: client.backend,
    model: client.model,
    capabilities: client.capabilities,
    generate: (request) => client.generate(scoped(request)),
    transcribe: (request) => client.transcribe(scoped(request)),
  };
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
 * `ctx.settings.models`. No cap of its own: the calls in flight are the stage jobs in flight. Its calls log
 * to this job's logger (`ctx.logger`: run, stage, sample, job), not to the one of the job that created the
 * shared client: before, every 429 wait of a worker process named its first job's sample.
 */
export async function modelClientFromContext(ctx: ModelContext, spec: string): Promise<ModelClient> {
  const parsedSpec = parseModelSpec(spec);
  const parsed = parseModelSettings(ctx.settings.models);
  const settings = parsed.cacheDir || !ctx.outDir ? parsed : { ...parsed, cacheDir: path.join(ctx.outDir, "cache", "models") };
  const shared = await ctx.resource(`model-client:${parsedSpec.spec}:${settings.cacheDir ?? ""}`, async () => createModelClient(parsedSpec, settings));
  return withCallLoggers(shared, (request) => request.logger ?? ctx.logger);
}
