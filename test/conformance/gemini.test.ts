import { expect } from "vitest";
import { describeModelBackend } from "./model-backend.ts";

interface GeminiBody {
  contents: Array<{ role: string; parts: Array<{ text?: string; inlineData?: { mimeType: string; data: string } }> }>;
  systemInstruction?: { role?: string; parts: Array<{ text: string }> };
}

const MODEL = "gemini-1.5-flash";

const readParts = (body: GeminiBody) => {
  expect(body.contents).toHaveLength(1);
  const parts = body.contents[0]!.parts;
  const inline = (prefix: string) =>
    parts.flatMap((p) => (p.inlineData && p.inlineData.mimeType.startsWith(prefix) ? [p.inlineData.data] : []));
  return { text: parts.filter((p) => typeof p.text === "string").map((p) => p.text!), images: inline("image/"), audio: inline("audio/") };
};

describeModelBackend({
  backend: "gemini",
  model: MODEL,
  generatePath: `/v1beta/models/${MODEL}:generateContent`,
  ok: (text) => ({ candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }] }),
  error: (status, message) => ({ error: { code: status, message, status: status === 429 ? "RESOURCE_EXHAUSTED" : "INVALID_ARGUMENT" } }),
  retryLater: (seconds) => ({
    status: 429,
    body: {
      error: {
        code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` }],
      },
    },
  }),
  settings: (url) => ({ baseUrl: url, apiKey: "test-key" }),
  read(request) {
    expect(request.headers["x-goog-api-key"]).toBe("test-key");
    const body = request.json as GeminiBody;
    const { text, images, audio } = readParts(body);
    expect(text).toHaveLength(1);
    const system = body.systemInstruction?.parts.map((p) => p.text).join("");
    return { model: MODEL, ...(system ? { system } : {}), prompt: text[0]!, images, audio };
  },
  transcribe: {
    path: `/v1beta/models/${MODEL}:generateContent`,
    ok: (text) => ({ candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }] }),
    async read(request) {
      const { text, audio } = readParts(request.json as GeminiBody);
      expect(text[0]).toMatch(/^Transcribe the speech/);
      expect(audio).toHaveLength(1);
      return { model: request.path.includes(MODEL) ? MODEL : "?", audio: audio[0]! };
    },
  },
});
