import { MerrError } from "../../core/errors.ts";

export const MODEL_BACKEND_NAMES = ["ollama", "gemini", "openai"] as const;
export type ModelBackendName = (typeof MODEL_BACKEND_NAMES)[number];

export interface ModelSpec {
  backend: ModelBackendName;
  /** Model name as the server knows it (may itself contain ':', e.g. `llava:13b`). */
  model: string;
  /** The spec string, normalised (`<backend>:<model>`). */
  spec: string;
}

/**
 * Parses `<backend>:<model>` (`ollama:llava:13b`, `openai:Qwen2-Audio-7B-Instruct`, `gemini:gemini-1.5-flash`).
 * Only the first ':' separates: the rest is the model name. `openai-compat` is accepted as `openai`.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(":");
  const rawBackend = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const model = colon < 0 ? "" : trimmed.slice(colon + 1).trim();
  const backend = rawBackend === "openai-compat" ? "openai" : rawBackend;
  if (!(MODEL_BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new MerrError(
      "E_CONFIG_INVALID",
      `model spec "${spec}": unknown backend "${rawBackend}" (expected ${MODEL_BACKEND_NAMES.join(", ")}, as in "ollama:llava:13b")`,
    );
  }
  if (model === "" || /\s/.test(model)) {
    throw new MerrError("E_CONFIG_INVALID", `model spec "${spec}": missing or malformed model name (expected "${backend}:<model>")`);
  }
  return { backend: backend as ModelBackendName, model, spec: `${backend}:${model}` };
}
