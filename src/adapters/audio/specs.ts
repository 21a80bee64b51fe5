import { MerrError } from "../../core/errors.ts";
import { parseModelSpec, type ModelSpec } from "../models/index.ts";

/**
 * Whether a language code (`--language`, ISO 639-1 with an optional region: `en`, `en-US`) is English: what
 * pocketsphinx's model and the CMU syllable dictionary know.
 */
export const isEnglishCode = (code: string): boolean => /^en(?:$|[-_])/i.test(code.trim());

/** Where a transcript comes from when the source gives none. */
export type AsrSpec = { kind: "none" } | { kind: "pocketsphinx" } | { kind: "model"; model: ModelSpec };

/** Parses `none`, `pocketsphinx`, `openai:<model>` or `gemini:<model>`. */
export function parseAsrSpec(spec: string): AsrSpec {
  const s = spec.trim();
  if (s === "none") return { kind: "none" };
  if (s === "pocketsphinx") return { kind: "pocketsphinx" };
  const model = parseRemote(s, "asr", "none, pocketsphinx, openai:<model> or gemini:<model>");
  return { kind: "model", model };
}

/** How the tone description is made: merr's own analyzer or an audio chat model. */
export type ToneSpec = { kind: "builtin" } | { kind: "model"; model: ModelSpec };

/** Parses `builtin`, `openai:<model>` or `gemini:<model>`. */
export function parseToneSpec(spec: string): ToneSpec {
  const s = spec.trim();
  if (s === "builtin") return { kind: "builtin" };
  return { kind: "model", model: parseRemote(s, "tone backend", "builtin, openai:<model> or gemini:<model>") };
}

function parseRemote(spec: string, what: string, expected: string): ModelSpec {
  if (!spec.includes(":")) throw new MerrError("E_CONFIG_INVALID", `${what} "${spec}": unknown (expected ${expected})`);
  const model = parseModelSpec(spec);
  // ollama's API has no audio input (nor a transcription endpoint).
  if (model.backend === "ollama") {
    throw new MerrError("E_CONFIG_INVALID", `${what} "${spec}": ollama cannot take audio (expected ${expected})`);
  }
  return model;
}
