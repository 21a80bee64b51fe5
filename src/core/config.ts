import { MerrError } from "./errors.ts";
import type { LogLevel } from "./logger.ts";

/**
 * Process-level configuration. Layers, lowest to highest: built-in defaults, `MERR_*` environment
 * variables, CLI flags. This is the only module that reads `process.env`.
 */
export interface Config {
  /** Redis URL; undefined = a private embedded redis-server per output dir. Env: MERR_REDIS_URL. */
  redis?: string;
  /** BullMQ key prefix. Env: MERR_PREFIX. @defaultValue "merr" */
  prefix: string;
  /** Env: MERR_LOG_LEVEL. @defaultValue "info" */
  logLevel: LogLevel;
  /** The redis-server binary for the embedded mode. Env: MERR_REDIS_SERVER. @defaultValue "redis-server" */
  redisServerBin: string;
  /** "user:password" for the dashboard's basic auth. Env: MERR_DASHBOARD_AUTH. */
  dashboardAuth?: string;
  /**
   * The environment variables stage settings are made from (model backends, tool paths): names starting
   * with MERR_, OPENAI_, OLLAMA_, GEMINI_, GOOGLE_ or OPENFACE_. `src/cli/settings.ts` turns them into
   * the `ctx.settings` of stages.
   */
  env: Readonly<Record<string, string | undefined>>;
  /** PATH: where programs are looked up (a preflight finds them without starting them). */
  searchPath: string;
}

const SETTINGS_ENV = /^(MERR_|OPENAI_|OLLAMA_|GEMINI_|GOOGLE_|OPENFACE_)/;

export type Env = Readonly<Record<string, string | undefined>>;

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

export interface ConfigFlags {
  redis?: string;
  prefix?: string;
  logLevel?: string;
}

/** The queue prefix and Redis URL the flags and environment give, without the defaults (undefined: none given). */
export function givenQueueSettings(flags: ConfigFlags = {}, env: Env = process.env): { redis?: string; prefix?: string } {
  const redis = flags.redis ?? (env.MERR_REDIS_URL || undefined);
  const prefix = flags.prefix ?? (env.MERR_PREFIX || undefined);
  return { ...(redis ? { redis } : {}), ...(prefix ? { prefix } : {}) };
}

/** Resolves the configuration from env and flags; returns a frozen object. */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): Config {
  const logLevel = (flags.logLevel ?? env.MERR_LOG_LEVEL ?? "info") as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new MerrError("E_USAGE", `log level "${logLevel}" is not one of ${LEVELS.join(", ")}`);
  const prefix = flags.prefix ?? env.MERR_PREFIX ?? "merr";
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new MerrError("E_USAGE", `--prefix "${prefix}" may only use letters, digits, '-' and '_'`);
  const picked = Object.fromEntries(Object.entries(env).filter(([k, v]) => SETTINGS_ENV.test(k) && v !== undefined));
  return deepFreeze({
    env: picked,
    redis: flags.redis ?? (env.MERR_REDIS_URL || undefined),
    prefix,
    logLevel,
    redisServerBin: env.MERR_REDIS_SERVER || "redis-server",
    dashboardAuth: env.MERR_DASHBOARD_AUTH || undefined,
    searchPath: env.PATH ?? "",
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
