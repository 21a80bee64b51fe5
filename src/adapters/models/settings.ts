import { z } from "zod";
import { MerrError } from "../../core/errors.ts";

/** Limits and endpoints of one model backend. Every field has a default. */
export const BackendSettingsSchema = z.object({
  /** Server root (ollama: `http://127.0.0.1:11434`; openai: the `/v1` base; gemini: API root). */
  baseUrl: z.string().url().optional(),
  /** API key (only from env: OPENAI_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /**
   * Per-request timeout. A request that times out is tried once more by the queue (see the runtime's
   * retry policy), so a server that accepts requests but never answers fails a sample after about twice
   * this. @defaultValue 120000
   */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Longest total wait, within one call, for 429 answers that carry `Retry-After`. @defaultValue 30000 */
  retryAfterMaxMs: z.number().int().min(0).default(30_000),
  /** Longest accepted answer, in characters. @defaultValue 8000 */
  maxAnswerChars: z.number().int().positive().default(8000),
});
export type BackendSettings = z.infer<typeof BackendSettingsSchema>;

export const DEFAULT_BASE_URLS = {
  ollama: "http://127.0.0.1:11434",
  openai: "http://127.0.0.1:8000/v1",
  gemini: "https://generativelanguage.googleapis.com",
} as const;

const backend = () => BackendSettingsSchema.prefault({});

/** `ctx.settings.models`: what every model backend of a worker process uses. */
export const ModelSettingsSchema = z.object({
  /** Answer cache folder (the run's `<out>/cache/models`); no cache when absent. */
  cacheDir: z.string().min(1).optional(),
  ollama: backend(),
  openai: backend(),
  gemini: backend(),
});
export type ModelSettings = z.infer<typeof ModelSettingsSchema>;
export type ModelSettingsInput = z.input<typeof ModelSettingsSchema>;

export function parseModelSettings(raw: unknown): ModelSettings {
  return ModelSettingsSchema.parse(raw ?? {});
}

function withScheme(host: string): string {
  const trimmed = host.trim().replace(/\/+$/, "");
  return /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

function intOf(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  // Left as a string on purpose: the schema then reports the variable's bad value with its path.
  return Number.isFinite(value) ? value : (raw as unknown as number);
}

/** Per-backend variables of earlier versions, and what replaces each. */
const REMOVED = {
  CONCURRENCY: "model calls in flight are the stage jobs in flight; set them with --concurrency stage=n",
  RPM: "rate limits are per stage and across workers; set them with --rate-limit stage=max/seconds",
  RETRIES: "retries are the queue's (the stage's attempts in the pipeline, with a policy per error class)",
} as const;

/**
 * Model settings from environment variables (pure: the caller passes `process.env`). Recognised:
 * OLLAMA_HOST, OPENAI_BASE_URL, OPENAI_API_KEY, GEMINI_API_KEY (else GOOGLE_API_KEY), GEMINI_BASE_URL,
 * MERR_MODEL_CACHE_DIR, and per backend `MERR_<OLLAMA|OPENAI|GEMINI>_TIMEOUT_MS`. The removed per-backend
 * limits (`_CONCURRENCY`, `_RPM`, `_RETRIES`) are configuration errors that name their replacement.
 * Returns the input shape (unset fields absent) so it can be merged with other layers before parsing.
 */
export function modelSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): ModelSettingsInput {
  const section = (name: "OLLAMA" | "OPENAI" | "GEMINI", baseUrl: string | undefined, apiKey: string | undefined) => {
    const out: Record<string, unknown> = {};
    if (baseUrl) out.baseUrl = baseUrl;
    if (apiKey) out.apiKey = apiKey;
    for (const [suffix, instead] of Object.entries(REMOVED)) {
      if (env[`MERR_${name}_${suffix}`] !== undefined) {
        throw new MerrError("E_CONFIG_INVALID", `MERR_${name}_${suffix} is no longer read: ${instead}`);
      }
    }
    const timeout = intOf(env, `MERR_${name}_TIMEOUT_MS`);
    if (timeout !== undefined) out.timeoutMs = timeout;
    return out;
  };
  const settings: Record<string, unknown> = {
    ollama: section("OLLAMA", env.OLLAMA_HOST ? withScheme(env.OLLAMA_HOST) : undefined, undefined),
    openai: section("OPENAI", env.OPENAI_BASE_URL?.replace(/\/+$/, ""), env.OPENAI_API_KEY),
    gemini: section("GEMINI", env.GEMINI_BASE_URL?.replace(/\/+$/, ""), env.GEMINI_API_KEY || env.GOOGLE_API_KEY),
  };
  if (env.MERR_MODEL_CACHE_DIR) settings.cacheDir = env.MERR_MODEL_CACHE_DIR;
  return settings as ModelSettingsInput;
}
