import { DEFAULT_BASE_URLS, type BackendSettings } from "./settings.ts";
import type { ModelBackendName } from "./spec.ts";

/** Which environment variables set a backend's server and key (named in preflight and per-sample messages). */
export const BACKEND_ENV: Readonly<Record<ModelBackendName, { url: string; key?: string; start: string }>> = {
  ollama: { url: "OLLAMA_HOST", start: "start it with `ollama serve`" },
  openai: { url: "OPENAI_BASE_URL", key: "OPENAI_API_KEY", start: "start the server (vLLM, llama.cpp server, LM Studio); the URL ends in /v1" },
  gemini: { url: "GEMINI_BASE_URL", key: "GEMINI_API_KEY", start: "check the network and the API root" },
};

/** Where a backend's requests go, how they authenticate, and how messages name it. */
export interface ModelServer {
  backend: ModelBackendName;
  /**
   * The base URL requests go to, without user info or a trailing slash (fetch refuses a URL with
   * credentials). For Gemini, the API root without its version (see `apiVersion`).
   */
  url: string;
  /**
   * Gemini: the API version the base URL ended with (`…/v1beta`, `…/v1`: a URL copied from a request),
   * which the SDK puts after `url` instead of its own (`…/v1beta/v1beta/models/…` was a 404).
   */
  apiVersion?: string;
  /** The base URL as messages show it: as set, without user info. */
  shown: string;
  /** `Authorization: Basic` from the base URL's `user:password@`, as curl sends it; empty without. */
  basicAuth: Record<string, string>;
  /** The base URL carried a user and password. */
  credentials: boolean;
  /** What must never be printed: the API key, the URL's password, the Basic token. */
  secrets: string[];
  /** "set by OLLAMA_HOST" or "the default: OLLAMA_HOST is not set": where the URL came from. */
  origin: string;
}

/** Gemini's API versions, which a GEMINI_BASE_URL copied from a request URL may end with. */
const GEMINI_VERSION = /\/(v1(?:alpha|beta)?\d*)$/;

/** Reads a backend's server from its settings: the user info of the URL becomes a Basic header. Pure. */
export function modelServer(backend: ModelBackendName, settings: BackendSettings): ModelServer {
  const env = BACKEND_ENV[backend].url;
  const raw = settings.baseUrl ?? DEFAULT_BASE_URLS[backend];
  const secrets = settings.apiKey ? [settings.apiKey] : [];
  const basicAuth: Record<string, string> = {};
  let url = raw;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    // Not a URL (the settings schema refuses one): used as given, fetch then names the problem.
  }
  if (parsed && (parsed.username || parsed.password)) {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    const token = Buffer.from(`${user}:${password}`).toString("base64");
    basicAuth.authorization = `Basic ${token}`;
    secrets.push(token, ...[password, parsed.password].filter((s) => s.length >= 4));
    parsed.username = "";
    parsed.password = "";
    url = parsed.toString();
  }
  const shown = url.replace(/\/+$/, "");
  const version = backend === "gemini" ? GEMINI_VERSION.exec(shown) : null;
  return {
    backend,
    url: version ? shown.slice(0, version.index) : shown,
    ...(version ? { apiVersion: version[1] } : {}),
    shown,
    basicAuth,
    credentials: Object.keys(basicAuth).length > 0,
    secrets,
    origin: settings.baseUrl ? `set by ${env}` : `the default: ${env} is not set`,
  };
}

/**
 * What to fix when the server refused the request's credentials (401, 403; Gemini's 400 for a bad key): the
 * API key when the backend has one and it was sent or nothing else was, else the URL's user and password.
 */
export function accessFix(server: ModelServer, apiKeySet: boolean): string {
  const env = BACKEND_ENV[server.backend];
  if (env.key && (apiKeySet || !server.credentials || server.backend === "gemini")) {
    return `set ${env.key} to a valid key${apiKeySet ? ` (${env.key} is set, but refused)` : ` (${env.key} is not set)`}`;
  }
  if (server.credentials) return `check the user and password in ${env.url} (sent as Basic auth, and refused)`;
  return `check the server's access settings (a user and password go in ${env.url} as user:password@ before the host)`;
}

/** `text` with the user info of every URL in it replaced by `***` (`http://***@host:11434`). Pure. */
export function maskUrlCredentials(text: string): string {
  // Greedy up to the authority's last "@": a password may hold an unencoded "@".
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi, "$1***@");
}

/** `text` with URL credentials and every secret of `server` (API key, password, Basic token) masked. Pure. */
export function maskServerSecrets(text: string, secrets: readonly string[]): string {
  let out = maskUrlCredentials(text);
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***");
  return out;
}
