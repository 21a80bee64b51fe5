import path from "node:path";
import { MerrError } from "../../core/errors.ts";
import { defineModelBackend, type BackendDeps } from "./backend.ts";
import { readMedia } from "./media.ts";
import { callWithPolicy, connectionFailure, httpFailure, readJsonBody, type RequestPolicy } from "./policy.ts";
import { modelServer } from "./server.ts";
import { DEFAULT_BASE_URLS, type BackendSettings } from "./settings.ts";
import type { ModelAnswer, ModelClient, ModelRequest, TranscribeRequest, Transcription } from "./types.ts";
import { refusalWords, tokenLimitFailure, validateAnswerText } from "./validate.ts";

/** Reads the reason of an error response (`{error:{message}}`, `{error:"..."}`, `{detail}` or plain text). */
export async function errorReason(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string }; detail?: unknown; message?: string };
    if (typeof body.error === "string") return body.error;
    if (body.error?.message) return body.error.message;
    if (body.detail !== undefined) return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    if (body.message) return body.message;
  } catch {
    // Not JSON: the plain text is the reason.
  }
  return text || response.statusText;
}

/** POSTs and returns the parsed JSON body, mapping every failure to a MerrError. */
async function postJson(
  policy: RequestPolicy,
  doFetch: typeof fetch,
  url: string,
  init: { headers: Record<string, string>; body: string | FormData; signal: AbortSignal },
): Promise<unknown> {
  let response: Response;
  try {
    response = await doFetch(url, { method: "POST", headers: init.headers, body: init.body, signal: init.signal });
  } catch (error) {
    if (init.signal.aborted) throw error;
    throw connectionFailure(policy, error);
  }
  if (!response.ok) throw httpFailure(policy, response.status, await errorReason(response), response.headers.get("retry-after"));
  return readJsonBody(policy.source, response);
}

function messageText(content: unknown): unknown {
  if (Array.isArray(content)) {
    return content.map((p: { type?: string; text?: string }) => (p?.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
  }
  return content;
}

/** An OpenAI-compatible server (vLLM, llama.cpp server, LM Studio, ...): /chat/completions and /audio/transcriptions. */
export const openaiBackend = defineModelBackend({
  name: "openai",
  capabilities: { text: true, image: true, audio: true, transcribe: true },
  defaultBaseUrl: DEFAULT_BASE_URLS.openai,
  create(model: string, settings: BackendSettings, deps: BackendDeps): ModelClient {
    const source = `openai:${model}`;
    const server = modelServer("openai", settings);
    const base = server.url;
    const policy: RequestPolicy = { source, settings, server, ...deps };
    // The API key, else a user and password in OPENAI_BASE_URL (a proxy's Basic auth): one Authorization header.
    const auth: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : server.basicAuth;

    return {
      backend: "openai",
      model,
      capabilities: openaiBackend.capabilities,
      async generate(request: ModelRequest): Promise<ModelAnswer> {
        const images = await Promise.all((request.images ?? []).map((i) => readMedia(i.path)));
        const audio = await Promise.all((request.audio ?? []).map((a) => readMedia(a.path)));
        const content =
          images.length + audio.length === 0
            ? request.prompt
            : [
                { type: "text", text: request.prompt },
                ...images.map((m) => ({ type: "image_url", image_url: { url: `data:${m.mimeType};base64,${m.base64}` } })),
                ...audio.map((m) => ({ type: "input_audio", input_audio: { data: m.base64, format: path.extname(m.path).slice(1).toLowerCase() } })),
              ];
        const body = JSON.stringify({
          model,
          messages: [...(request.system ? [{ role: "system", content: request.system }] : []), { role: "user", content }],
          stream: false,
          ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.json ? { response_format: { type: "json_object" } } : {}),
        });
        return callWithPolicy(policy, request, async (signal): Promise<ModelAnswer> => {
          const json = (await postJson(policy, deps.fetch, `${base}/chat/completions`, {
            headers: { "content-type": "application/json", ...auth },
            body,
            signal,
          })) as { choices?: Array<{ message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }> };
          const choice = json?.choices?.[0];
          const message = choice?.message;
          const refusal = typeof message?.refusal === "string" ? message.refusal.trim() : "";
          // The API's refusal field is a refusal whatever its words ("This request violates our content
          // policy."): each stage treats it as one (visual-describe and audio-tone go on without the clue,
          // fine filters the sample). Neither the JSON check nor the stage's check applies to it.
          if (refusal) return { text: refusalWords(refusal, settings.maxAnswerChars), refused: true, backend: "openai", model, cached: false };
          if (choice?.finish_reason === "length") throw tokenLimitFailure(source, messageText(message?.content), request.maxTokens, 'finish_reason "length"');
          const checked = validateAnswerText(messageText(message?.content), { maxChars: settings.maxAnswerChars, json: request.json, source });
          request.check?.(checked);
          return { text: checked, backend: "openai", model, cached: false };
        });
      },
      async transcribe(request: TranscribeRequest): Promise<Transcription> {
        const media = await readMedia(request.audio.path);
        const text = await callWithPolicy(policy, request, async (signal) => {
          // A fresh form per attempt: a FormData body is consumed by the request.
          const form = new FormData();
          form.append("file", new Blob([media.bytes], { type: media.mimeType }), path.basename(media.path));
          form.append("model", model);
          form.append("response_format", "json");
          if (request.language) form.append("language", request.language);
          const json = (await postJson(policy, deps.fetch, `${base}/audio/transcriptions`, { headers: { ...auth }, body: form, signal })) as {
            text?: unknown;
          };
          if (typeof json?.text !== "string") throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: transcription has no text field`);
          if (json.text.length > settings.maxAnswerChars) {
            throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: transcription too long (${json.text.length} characters)`);
          }
          return json.text.trim();
        });
        return { text, ...(request.language ? { language: request.language } : {}), backend: "openai", model, cached: false };
      },
    };
  },
});
