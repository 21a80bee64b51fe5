import type { ErrorCode } from "../../core/errors.ts";
import { errorReason } from "./openai.ts";
import { accessFix, BACKEND_ENV, maskServerSecrets, modelServer } from "./server.ts";
import { DEFAULT_BASE_URLS, type ModelSettings } from "./settings.ts";
import type { ModelBackendName } from "./spec.ts";

/** The API version Gemini's SDK asks, and preflight with it, unless the base URL names one. */
const GEMINI_API_VERSION = "v1beta";

/** The outcome of checking one backend (and one model on it, when named). */
export interface BackendCheck {
  backend: ModelBackendName;
  model?: string;
  /** The URL that was asked (without any key, user or password). */
  url: string;
  ok: boolean;
  /** Why it failed: the server cannot be reached (E_MODEL_UNAVAILABLE), or the key or model name is wrong (E_CONFIG_INVALID). */
  code?: Extract<ErrorCode, "E_MODEL_UNAVAILABLE" | "E_CONFIG_INVALID">;
  /** What was found or what is wrong, with the fix. */
  message: string;
}

export interface CheckBackendDeps {
  fetch?: typeof fetch;
  /** Per request. @defaultValue 5000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Why a fetch failed, e.g. `ECONNREFUSED`, `ENOTFOUND`, `timed out after 5000 ms`. */
function connectionCause(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

/** Ollama names `llava` as `llava:latest`. */
const ollamaName = (name: string): string => (name.includes(":") ? name : `${name}:latest`);

const listed = (names: string[]): string => (names.length === 0 ? "none" : names.slice(0, 12).join(", ") + (names.length > 12 ? `, ... (${names.length})` : ""));

/**
 * Checks that a model backend answers and (when `model` is given) knows the model, before any work is
 * queued: Ollama `GET /api/tags`, an OpenAI-compatible server `GET /models`, Gemini `GET
 * /v1beta/models/<model>` (models.get; without a model, the model list). One short request each, no
 * retries: a preflight must fail in seconds. Never throws; the result says what to fix.
 */
export async function checkModelBackend(
  backend: ModelBackendName,
  model: string | undefined,
  settings: ModelSettings,
  deps: CheckBackendDeps = {},
): Promise<BackendCheck> {
  const doFetch = deps.fetch ?? globalThis.fetch;
  const timeoutMs = deps.timeoutMs ?? 5000;
  // A user and password in the base URL travel as Basic auth (fetch refuses a URL that holds them).
  const server = modelServer(backend, settings[backend]);
  const base = server.url;
  const env = BACKEND_ENV[backend];
  const apiKey = settings[backend].apiKey;
  const mask = (text: string): string => maskServerSecrets(text, server.secrets);
  const spec = model ? `${backend}:${model}` : backend;
  const url =
    backend === "ollama" ? `${base}/api/tags`
    : backend === "openai" ? `${base}/models`
    : `${base}/${server.apiVersion ?? GEMINI_API_VERSION}/models${model ? `/${model.replace(/^models\//, "")}` : ""}`;
  const result = (ok: boolean, message: string, code?: BackendCheck["code"]): BackendCheck => ({
    backend, ...(model ? { model } : {}), url, ok, message, ...(code ? { code } : {}),
  });
  if (backend === "gemini" && !apiKey) {
    return result(false, `${spec}: no API key; set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment of this process`, "E_CONFIG_INVALID");
  }
  const headers: Record<string, string> = { ...server.basicAuth };
  if (apiKey && backend === "openai") headers.authorization = `Bearer ${apiKey}`;
  if (apiKey && backend === "gemini") headers["x-goog-api-key"] = apiKey;
  const signal = deps.signal ? AbortSignal.any([deps.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await doFetch(url, { headers, signal });
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    return result(
      false,
      `${spec}: cannot reach ${url} (${mask(connectionCause(error, timeoutMs))}); the URL is ${server.origin}. ` +
        `Fix: set ${env.url} to where the server listens, or ${env.start}`,
      "E_MODEL_UNAVAILABLE",
    );
  }
  const status = response.status;
  if (status === 401 || status === 403 || (backend === "gemini" && status === 400)) {
    const reason = mask(await errorReason(response));
    return result(false, `${spec}: ${url} refused the request (${status}: ${reason.slice(0, 160)}). Fix: ${accessFix(server, apiKey !== undefined)}`, "E_CONFIG_INVALID");
  }
  if (backend === "gemini" && status === 404 && model) {
    // An unknown model, or a base URL that serves no Gemini API (a path too many): the model list tells.
    const listUrl = url.slice(0, url.lastIndexOf("/"));
    const list = await doFetch(`${listUrl}?pageSize=1000`, { headers, signal }).then(
      async (r) => (r.ok ? ((await r.json()) as { models?: Array<{ name?: string }> }) : undefined),
      () => undefined,
    );
    if (!list) {
      return result(
        false,
        `${spec}: ${url} and ${listUrl} are not found (404): the base URL ${server.shown} serves no Gemini API; it is ${server.origin}. ` +
          `Fix: set ${env.url} to the API root (${DEFAULT_BASE_URLS.gemini}, optionally with /v1beta or /v1), or unset it`,
        "E_CONFIG_INVALID",
      );
    }
    const names = (list.models ?? []).map((m) => m.name?.replace(/^models\//, "")).filter((n): n is string => typeof n === "string");
    return result(false, `${spec}: Gemini has no model "${model}" (404 from ${url}; it has: ${listed(names)}). Fix: name one it has`, "E_CONFIG_INVALID");
  }
  if (backend === "openai" && status === 404) {
    // A base URL without its /v1 (vLLM, llama.cpp and the OpenAI API serve under /v1): every call would be
    // a 404 too. Asked once more with /v1; a server that lists models there names the fix.
    if (!/\/v1\/?$/.test(base)) {
      const withV1 = `${base.replace(/\/+$/, "")}/v1`;
      const listsThere = await doFetch(`${withV1}/models`, { headers, signal }).then((r) => r.ok, () => false);
      if (listsThere) {
        return result(false, `${spec}: ${url} is not found (404), but ${withV1}/models answers: the base URL lacks /v1. Fix: set ${env.url}=${withV1}`, "E_CONFIG_INVALID");
      }
    }
    // Some OpenAI-compatible servers do not list models: reachable is all that can be known.
    return result(true, `${spec}: ${base} answers, but does not list its models (404 on /models); the model name is not checked`);
  }
  if (status === 429 || status >= 500 || !response.ok) {
    const reason = mask(await errorReason(response));
    return result(
      false,
      `${spec}: ${url} answered ${status} (${reason.slice(0, 160)}); the URL is ${server.origin}. Fix: check that ${env.url} points at a ${backend} server that is up`,
      "E_MODEL_UNAVAILABLE",
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return result(false, `${spec}: ${url} did not answer JSON; the URL is ${server.origin}. Fix: point ${env.url} at a ${backend} server`, "E_MODEL_UNAVAILABLE");
  }
  if (!model || backend === "gemini") return result(true, `${spec}: ${base} answers${model ? ", model found" : ""}`);
  const names =
    backend === "ollama"
      ? ((body as { models?: Array<{ name?: string; model?: string }> })?.models ?? []).flatMap((m) => [m.name, m.model]).filter((n): n is string => typeof n === "string")
      : ((body as { data?: Array<{ id?: string }> })?.data ?? []).map((m) => m.id).filter((n): n is string => typeof n === "string");
  const found = backend === "ollama" ? names.map(ollamaName).includes(ollamaName(model)) : names.includes(model);
  if (found) return result(true, `${spec}: ${base} answers, model found`);
  const unique = [...new Set(names)];
  const fix = backend === "ollama" ? `run \`ollama pull ${model}\` on that server, or name one it has` : "start the server with that model, or name one it serves";
  return result(false, `${spec}: the server at ${base} has no model "${model}" (it has: ${listed(unique)}). Fix: ${fix}`, "E_CONFIG_INVALID");
}
