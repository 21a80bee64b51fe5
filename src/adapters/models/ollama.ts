import { Ollama } from "ollama";
import { MerrError } from "../../core/errors.ts";
import { defineModelBackend, type BackendDeps } from "./backend.ts";
import { readMedia } from "./media.ts";
import { errorReason } from "./openai.ts";
import { callWithPolicy, connectionFailure, httpFailure, type RequestPolicy } from "./policy.ts";
import { modelServer } from "./server.ts";
import { DEFAULT_BASE_URLS, type BackendSettings } from "./settings.ts";
import type { ModelAnswer, ModelClient, ModelRequest, TranscribeRequest, Transcription } from "./types.ts";
import { tokenLimitFailure, validateAnswerText } from "./validate.ts";

/**
 * Ollama's /api/chat through the `ollama` package. Images travel base64 in `images`; the protocol has no
 * audio field, so audio requests and transcription are E_MODEL_UNSUPPORTED (send the transcript and
 * tone words as text instead).
 */
export const ollamaBackend = defineModelBackend({
  name: "ollama",
  capabilities: { text: true, image: true, audio: false, transcribe: false },
  defaultBaseUrl: DEFAULT_BASE_URLS.ollama,
  create(model: string, settings: BackendSettings, deps: BackendDeps): ModelClient {
    const source = `ollama:${model}`;
    const server = modelServer("ollama", settings);
    const policy: RequestPolicy = { source, settings, server, ...deps };

    // The package sends non-streamed requests without a signal and prints to the console on some error
    // bodies: a per-attempt fetch adds the signal and turns every non-2xx answer into our error first.
    const clientFor = (signal: AbortSignal): Ollama =>
      new Ollama({
        host: server.url,
        // A user and password in OLLAMA_HOST (a proxy in front of Ollama) travel as Basic auth.
        headers: server.basicAuth,
        fetch: async (input, init) => {
          let response: Response;
          try {
            response = await deps.fetch(input, { ...init, signal });
          } catch (error) {
            if (signal.aborted) throw error;
            throw connectionFailure(policy, error);
          }
          if (!response.ok) throw httpFailure(policy, response.status, await errorReason(response), response.headers.get("retry-after"));
          return response;
        },
      });

    return {
      backend: "ollama",
      model,
      capabilities: ollamaBackend.capabilities,
      async generate(request: ModelRequest): Promise<ModelAnswer> {
        if (request.audio?.length) {
          throw new MerrError("E_MODEL_UNSUPPORTED", `${source}: the Ollama protocol has no audio input; pass the transcript and tone as text`);
        }
        const images = await Promise.all((request.images ?? []).map((i) => readMedia(i.path)));
        const options: Record<string, number> = {};
        if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
        if (request.temperature !== undefined) options.temperature = request.temperature;
        const text = await callWithPolicy(policy, request, async (signal) => {
          let content: unknown;
          let doneReason: unknown;
          try {
            const response = await clientFor(signal).chat({
              model,
              messages: [
                ...(request.system ? [{ role: "system", content: request.system }] : []),
                { role: "user", content: request.prompt, ...(images.length ? { images: images.map((m) => m.base64) } : {}) },
              ],
              stream: false,
              ...(request.json ? { format: "json" } : {}),
              ...(Object.keys(options).length ? { options } : {}),
            });
            content = response?.message?.content;
            doneReason = response?.done_reason;
          } catch (error) {
            if (error instanceof MerrError || signal.aborted) throw error;
            if (error instanceof SyntaxError) {
              throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: malformed JSON from the server: ${error.message}`, { cause: error });
            }
            throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: unexpected answer: ${(error as Error).message}`, { cause: error });
          }
          if (doneReason === "length") throw tokenLimitFailure(source, content, request.maxTokens, 'done_reason "length"');
          const checked = validateAnswerText(content, { maxChars: settings.maxAnswerChars, json: request.json, source });
          request.check?.(checked);
          return checked;
        });
        return { text, backend: "ollama", model, cached: false };
      },
      async transcribe(_request: TranscribeRequest): Promise<Transcription> {
        throw new MerrError("E_MODEL_UNSUPPORTED", `${source}: Ollama cannot transcribe audio; use the builtin or an openai transcription backend`);
      },
    };
  },
});
