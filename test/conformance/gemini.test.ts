import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createModelClient } from "../../src/adapters/models/index.ts";
import { safetyBlock } from "../../src/adapters/models/gemini.ts";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { describeModelBackend } from "./model-backend.ts";
import { makeWav, startProtocolServer } from "./protocol-server.ts";

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
  truncated: (text) => ({ candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "MAX_TOKENS", index: 0 }] }),
  truncatedStop: "finishReason MAX_TOKENS",
  settings: (url) => ({ baseUrl: url, apiKey: "test-key" }),
  urlVariable: "GEMINI_BASE_URL",
  // The SDK keeps no cause of a failed fetch.
  refusedDetail: "fetch failed",
  keyFix: "set GEMINI_API_KEY to a valid key (GEMINI_API_KEY is set, but refused)",
  refusals: [
    { body: { promptFeedback: { blockReason: "SAFETY" } }, words: "the prompt was blocked (blockReason SAFETY)" },
    {
      body: { promptFeedback: { blockReason: "OTHER", blockReasonMessage: "The prompt could not be submitted." } },
      words: "the prompt was blocked (blockReason OTHER: The prompt could not be submitted.)",
    },
    {
      body: { candidates: [{ finishReason: "SAFETY", index: 0, safetyRatings: [{ category: "HARM_CATEGORY_HARASSMENT", probability: "HIGH" }] }] },
      words: "the answer was blocked (finishReason SAFETY)",
    },
    { body: { candidates: [{ finishReason: "PROHIBITED_CONTENT", index: 0 }] }, words: "the answer was blocked (finishReason PROHIBITED_CONTENT)" },
  ],
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

describe("gemini base URL", () => {
  it("may end in the API version, which then replaces the SDK's (a URL copied from a request)", async () => {
    const server = await startProtocolServer(() => ({ body: { candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP", index: 0 }] } }));
    try {
      for (const [suffix, version] of [["/v1beta", "v1beta"], ["/v1/", "v1"], ["", "v1beta"]] as const) {
        const client = createModelClient(`gemini:${MODEL}`, { gemini: { baseUrl: `${server.url}${suffix}`, apiKey: "test-key" } });
        expect((await client.generate({ promptId: "t@1", prompt: "Hi." })).text).toBe("ok");
        expect(server.requests.at(-1)?.path).toBe(`/${version}/models/${MODEL}:generateContent`);
      }
    } finally {
      await server.close();
    }
  });
});

describe("gemini errors", () => {
  it("read as the server's reason, and a refused key (a 400 with API_KEY_INVALID) names GEMINI_API_KEY", async () => {
    const server = await startProtocolServer(() => ({ body: {} }));
    try {
      const client = createModelClient(`gemini:${MODEL}`, { gemini: { baseUrl: server.url, apiKey: "test-key" } });
      const errorInfo = { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" };
      server.queue = [{ status: 400, body: { error: { code: 400, message: "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT", details: [errorInfo] } } }];
      // Before: "server answered HTTP 400: : Error fetching from http://...: [400 Bad Request] API key not valid. ... [{...}]".
      await expect(client.generate({ promptId: "t@1", prompt: "Hi." })).rejects.toThrow(
        `[E_MODEL_REJECTED] gemini:${MODEL}: server answered HTTP 400: API key not valid. Please pass a valid API key. (API_KEY_INVALID). Fix: set GEMINI_API_KEY to a valid key (GEMINI_API_KEY is set, but refused)`,
      );
      server.queue = [{ status: 400, body: { error: { code: 400, message: "Invalid JSON payload received.", status: "INVALID_ARGUMENT" } } }];
      const error = await client.generate({ promptId: "t@1", prompt: "Hi." }).catch((e: Error) => e);
      expect((error as Error).message).toBe(`[E_MODEL_REJECTED] gemini:${MODEL}: server answered HTTP 400: Invalid JSON payload received.`);
    } finally {
      await server.close();
    }
  });
});

describe("gemini safety blocks", () => {
  it("reads a filter's block as a refusal, and leaves other stops (RECITATION) to the SDK's rejection", () => {
    expect(safetyBlock({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } })).toBe("the prompt was blocked (blockReason PROHIBITED_CONTENT)");
    expect(safetyBlock({ candidates: [{ finishReason: "SPII" }] })).toBe("the answer was blocked (finishReason SPII)");
    expect(safetyBlock({ candidates: [{ finishReason: "RECITATION" }] })).toBeUndefined();
    expect(safetyBlock({ candidates: [{ finishReason: "STOP" }], promptFeedback: { blockReason: "SAFETY" } })).toBeUndefined();
    expect(safetyBlock({ promptFeedback: { blockReason: "BLOCKED_REASON_UNSPECIFIED" } })).toBeUndefined();
  });

  it("a blocked transcription fails with what blocked it (a transcript has no partial form)", async () => {
    const server = await startProtocolServer(() => ({ body: { promptFeedback: { blockReason: "SAFETY" } } }));
    try {
      const dir = await tempOutDir("merr-gemini-block-");
      const wav = path.join(dir, "speech.wav");
      await writeFile(wav, makeWav());
      const client = createModelClient(`gemini:${MODEL}`, { gemini: { baseUrl: server.url, apiKey: "test-key" } }, { logger: createMemoryLogger() });
      await expect(client.transcribe({ audio: { path: wav } })).rejects.toMatchObject({
        code: "E_MODEL_REJECTED",
        message: expect.stringContaining(`gemini:${MODEL}: no transcript: the prompt was blocked (blockReason SAFETY)`),
      });
      await rm(dir, { recursive: true, force: true });
    } finally {
      await server.close();
    }
  });
});
