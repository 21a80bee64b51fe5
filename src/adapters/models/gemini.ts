import {
  GoogleGenerativeAI,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIRequestInputError,
  GoogleGenerativeAIResponseError,
  type Part,
} from "@google/generative-ai";
import { MerrError } from "../../core/errors.ts";
import { defineModelBackend, type BackendDeps } from "./backend.ts";
import { readMedia } from "./media.ts";
import { callWithPolicy, connectionFailure, httpFailure, type RequestPolicy } from "./policy.ts";
import { modelServer } from "./server.ts";
import { DEFAULT_BASE_URLS, type BackendSettings } from "./settings.ts";
import type { ModelAnswer, ModelClient, ModelRequest, TranscribeRequest, Transcription } from "./types.ts";
import { refusalWords, tokenLimitFailure, validateAnswerText } from "./validate.ts";

/** The instruction used when a Gemini model transcribes (Gemini has no transcription endpoint). */
export const GEMINI_TRANSCRIBE_INSTRUCTION =
  "Transcribe the speech in this audio verbatim. Answer with the transcript only, without quotes or comments; answer with nothing if no words are spoken.";

/**
 * Gemini generateContent through @google/generative-ai: images and audio as `inlineData`. The package
 * uses the global fetch (it takes no fetch option), so `deps.fetch` is not used here; its `baseUrl`
 * request option points it at another server.
 */
export const geminiBackend = defineModelBackend({
  name: "gemini",
  capabilities: { text: true, image: true, audio: true, transcribe: true },
  defaultBaseUrl: DEFAULT_BASE_URLS.gemini,
  create(model: string, settings: BackendSettings, deps: BackendDeps): ModelClient {
    const source = `gemini:${model}`;
    if (!settings.apiKey) {
      throw new MerrError("E_CONFIG_INVALID", `${source}: no API key (set GEMINI_API_KEY or GOOGLE_API_KEY)`);
    }
    const sdk = new GoogleGenerativeAI(settings.apiKey);
    const server = modelServer("gemini", settings);
    // A GEMINI_BASE_URL copied from a request URL ends in its API version: the SDK adds a version of its own.
    const requestOptions = {
      ...(settings.baseUrl ? { baseUrl: server.url } : {}),
      ...(server.apiVersion ? { apiVersion: server.apiVersion } : {}),
      ...(server.credentials ? { customHeaders: server.basicAuth } : {}),
    };
    const policy: RequestPolicy = { source, settings, server, ...deps };

    const run = async (request: ModelRequest, allowEmpty = false): Promise<{ text: string; refused?: true }> => {
      const media = await Promise.all([...(request.images ?? []), ...(request.audio ?? [])].map((m) => readMedia(m.path)));
      const parts: Part[] = [{ text: request.prompt }, ...media.map((m) => ({ inlineData: { mimeType: m.mimeType, data: m.base64 } }))];
      const generative = sdk.getGenerativeModel(
        {
          model,
          ...(request.system ? { systemInstruction: request.system } : {}),
          generationConfig: {
            ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.json ? { responseMimeType: "application/json" } : {}),
          },
        },
        requestOptions,
      );
      return callWithPolicy(policy, request, async (signal): Promise<{ text: string; refused?: true }> => {
        let text: string;
        let finishReason: string | undefined;
        try {
          const result = await generative.generateContent({ contents: [{ role: "user", parts }] }, { signal });
          const blocked = safetyBlock(result.response);
          if (blocked) return { text: refusalWords(blocked, settings.maxAnswerChars), refused: true };
          finishReason = result.response.candidates?.[0]?.finishReason;
          text = result.response.text();
        } catch (error) {
          if (signal.aborted) throw error;
          if (error instanceof GoogleGenerativeAIFetchError) {
            const { reason, keyRefused } = fetchErrorReason(error);
            throw httpFailure(policy, error.status ?? 0, reason, retryDelayOf(error.errorDetails), keyRefused);
          }
          if (error instanceof GoogleGenerativeAIResponseError) {
            throw new MerrError("E_MODEL_REJECTED", `${source}: no usable answer: ${error.message}`, { cause: error });
          }
          if (error instanceof GoogleGenerativeAIRequestInputError) {
            throw new MerrError("E_MODEL_REJECTED", `${source}: ${error.message}`, { cause: error });
          }
          if (error instanceof SyntaxError) {
            throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: malformed JSON from the server: ${error.message}`, { cause: error });
          }
          throw connectionFailure(policy, error, sdkReason(error));
        }
        if (finishReason === "MAX_TOKENS") throw tokenLimitFailure(source, text, request.maxTokens, "finishReason MAX_TOKENS");
        const checked = validateAnswerText(text, { maxChars: settings.maxAnswerChars, json: request.json, source, allowEmpty });
        request.check?.(checked);
        return { text: checked };
      });
    };

    return {
      backend: "gemini",
      model,
      capabilities: geminiBackend.capabilities,
      async generate(request: ModelRequest): Promise<ModelAnswer> {
        return { ...(await run(request)), backend: "gemini", model, cached: false };
      },
      async transcribe(request: TranscribeRequest): Promise<Transcription> {
        const language = request.language ? ` The language is ${request.language}.` : "";
        // Silence yields an empty answer: for a transcription that is a valid (empty) result.
        const { text, refused } = await run(
          {
            promptId: "gemini-transcribe@1",
            prompt: GEMINI_TRANSCRIBE_INSTRUCTION + language,
            audio: [request.audio],
            temperature: 0,
            ...(request.signal ? { signal: request.signal } : {}),
            ...(request.logger ? { logger: request.logger } : {}),
          },
          true,
        );
        // A transcript has no partial form: a blocked one fails the sample with what blocked it.
        if (refused) throw new MerrError("E_MODEL_REJECTED", `${source}: no transcript: ${text}`);
        return { text, ...(request.language ? { language: request.language } : {}), backend: "gemini", model, cached: false };
      },
    };
  },
});

/** Finish reasons of a candidate that Gemini's safety and content filters stopped. */
const SAFETY_FINISH = new Set(["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"]);

/**
 * What blocked a Gemini answer on safety or content-policy grounds, or undefined: a blocked prompt
 * (`promptFeedback.blockReason` and no candidate) or a candidate stopped by a filter. Such an answer is a
 * refusal, not a failure: asking again gives the same block. (RECITATION, LANGUAGE and the like stay
 * failures: the SDK rejects them below.)
 */
export function safetyBlock(response: {
  candidates?: ReadonlyArray<{ finishReason?: string }>;
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
}): string | undefined {
  const feedback = response.promptFeedback;
  if (!response.candidates?.length && feedback?.blockReason && feedback.blockReason !== "BLOCKED_REASON_UNSPECIFIED") {
    return `the prompt was blocked (blockReason ${feedback.blockReason}${feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : ""})`;
  }
  const reason = response.candidates?.[0]?.finishReason;
  return reason && SAFETY_FINISH.has(reason) ? `the answer was blocked (finishReason ${reason})` : undefined;
}

/**
 * The server's own reason in an SDK fetch error, whose message is `[GoogleGenerativeAI Error]: Error
 * fetching from <url>: [400 Bad Request] <the body's error.message> <its details as JSON>`: the reason, with
 * the `google.rpc.ErrorInfo` reason after it ("API key not valid. (API_KEY_INVALID)"), and whether it says
 * the API key was refused (Gemini answers a bad key with 400, not 401).
 */
function fetchErrorReason(error: { message: string; status?: number; statusText?: string; errorDetails?: unknown }): { reason: string; keyRefused: boolean } {
  const bracket = /\[\d{3}(?: [^\]]*)?\]\s*/.exec(error.message);
  let reason = bracket ? error.message.slice(bracket.index + bracket[0].length) : sdkReason(error);
  const details = Array.isArray(error.errorDetails) ? (error.errorDetails as Array<{ "@type"?: unknown; reason?: unknown }>) : [];
  const json = details.length ? ` ${JSON.stringify(error.errorDetails)}` : "";
  if (json && reason.endsWith(json)) reason = reason.slice(0, -json.length);
  const info = details.find((d) => String(d?.["@type"] ?? "").endsWith("google.rpc.ErrorInfo") && typeof d.reason === "string")?.reason as string | undefined;
  if (info && !reason.includes(info)) reason = `${reason.trim()} (${info})`;
  return { reason: reason.trim() || (error.statusText ?? ""), keyRefused: info?.startsWith("API_KEY_") === true };
}

/** An SDK error's message without its `[GoogleGenerativeAI Error]: Error fetching from <url>: ` prefix ("fetch failed"). */
function sdkReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\[GoogleGenerativeAI Error\]:\s*/, "").replace(/^Error fetching from \S+: /, "");
}

/**
 * Gemini says when to come back in the body, not in a header: a `google.rpc.RetryInfo` detail with
 * `retryDelay: "13s"`. Returned as a Retry-After value (seconds), or null.
 */
export function retryDelayOf(details: unknown): string | null {
  if (!Array.isArray(details)) return null;
  for (const d of details as Array<{ "@type"?: unknown; retryDelay?: unknown }>) {
    if (String(d?.["@type"] ?? "").endsWith("google.rpc.RetryInfo") && typeof d.retryDelay === "string") {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay.trim());
      if (m) return m[1] as string;
    }
  }
  return null;
}
