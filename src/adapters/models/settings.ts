import { z } from "zod";

/** Limits and endpoints of one model backend. Every field has a default. */
export const BackendSettingsSchema = z.object({
  /** Server root (ollama: `http://127.0.0.1:11434`; openai: the `/v1` base; gemini: API root). */
  baseUrl: z.string().url().optional(),
  /** API key (only from env: OPENAI_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /** Per-request timeout. @defaultValue 120000 */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Requests in flight at once per backend in this process. @defaultValue 2 */
  concurrency: z.number().int().positive().default(2),
  /** Requests started per rolling minute per backend in this process; 0 = unlimited. @defaultValue 0 */
  requestsPerMinute: z.number().int().min(0).default(0),
  /** Retries after 429/5xx/connection errors (so `retries + 1` attempts at most). @defaultValue 3 */
  retries: z.number().int().min(0).max(10).default(3),
  /** First backoff delay; doubles per retry, with jitter. @defaultValue 500 */
  retryBaseMs: z.number().int().min(0).default(500),
  /** Longest backoff delay (also caps a server's Retry-After). @defaultValue 20000 */
  retryMaxMs: z.number().int().min(0).default(20_000),
  /** Retries after a malformed or empty answer. @defaultValue 1 */
  outputRetries: z.number().int().min(0).max(5).default(1),
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

/**
 * Model settings from environment variables (pure: the caller passes `process.env`). Recognised:
 * OLLAMA_HOST, OPENAI_BASE_URL, OPENAI_API_KEY, GEMINI_API_KEY (else GOOGLE_API_KEY), GEMINI_BASE_URL,
 * MERR_MODEL_CACHE_DIR, and per backend `MERR_<OLLAMA|OPENAI|GEMINI>_<CONCURRENCY|RPM|TIMEOUT_MS|RETRIES>`.
 * Returns the input shape (unset fields absent) so it can be merged with other layers before parsing.
 */
export function modelSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): ModelSettingsInput {
  const section = (name: "OLLAMA" | "OPENAI" | "GEMINI", baseUrl: string | undefined, apiKey: string | undefined) => {
    const out: Record<string, unknown> = {};
    if (baseUrl) out.baseUrl = baseUrl;
    if (apiKey) out.apiKey = apiKey;
    const fields = { CONCURRENCY: "concurrency", RPM: "requestsPerMinute", TIMEOUT_MS: "timeoutMs", RETRIES: "retries" } as const;
    for (const [suffix, key] of Object.entries(fields)) {
      const value = intOf(env, `MERR_${name}_${suffix}`);
      if (value !== undefined) out[key] = value;
    }
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
