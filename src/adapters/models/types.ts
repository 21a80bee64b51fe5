import type { Logger } from "../../core/logger.ts";

/**
 * The smallest model capability set merr's stages use. Remote backends (ollama, gemini, openai-compatible)
 * implement it; stages whose backend is `builtin` run merr's own offline analysis instead.
 */

export interface ModelImage {
  /** Absolute path of a JPEG or PNG file. */
  path: string;
}

export interface ModelAudio {
  /** Absolute path of a WAV file (16 kHz mono from extract-audio). */
  path: string;
}

export interface ModelRequest {
  /** Stable id of the prompt that produced `prompt` (e.g. `fine@1`): part of the cache key. */
  promptId: string;
  system?: string;
  prompt: string;
  images?: ModelImage[];
  audio?: ModelAudio[];
  /** Ask for a JSON object answer (where the protocol supports it). */
  json?: boolean;
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /**
   * Where this call logs (a 429 wait, a cache hit): the calling job's logger, so each line names its own
   * sample and job. {@link modelClientFromContext} sets it; without it, the client's own logger.
   */
  logger?: Logger;
  /**
   * The stage's own check of the answer text (its output schema): throw E_MODEL_OUTPUT_INVALID to fail
   * the call (the queue asks again, a bounded number of times). Answers that fail it are never cached,
   * and a cached answer that fails it is asked again. It does not run on an answer the server marked as a
   * refusal (`ModelAnswer.refused`).
   */
  check?: (text: string) => void;
}

export interface ModelAnswer {
  text: string;
  backend: string;
  model: string;
  /** True when the answer came from merr's answer cache (no model call). */
  cached: boolean;
  /**
   * True when the server itself marked the answer as a refusal (an OpenAI-compatible `message.refusal`, a
   * Gemini safety block): `text` then holds the refusal's words or what blocked it, and neither the JSON
   * check nor the request's `check` ran on it. A refusal written as ordinary text is not marked
   * ({@link isRefusal} reads both).
   */
  refused?: boolean;
}

export interface TranscribeRequest {
  audio: ModelAudio;
  language?: string;
  signal?: AbortSignal;
  /** As {@link ModelRequest.logger}. */
  logger?: Logger;
}

export interface Transcription {
  text: string;
  language?: string;
  backend: string;
  model: string;
  cached: boolean;
}

export interface ModelCapabilities {
  text: boolean;
  image: boolean;
  audio: boolean;
  transcribe: boolean;
}

export interface ModelClient {
  /** Backend name: `ollama`, `gemini`, `openai`. */
  readonly backend: string;
  readonly model: string;
  readonly capabilities: ModelCapabilities;
  generate(request: ModelRequest): Promise<ModelAnswer>;
  transcribe(request: TranscribeRequest): Promise<Transcription>;
}
