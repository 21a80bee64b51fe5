import { expect } from "vitest";
import { describeModelBackend } from "./model-backend.ts";

type Part = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } } | { type: "input_audio"; input_audio: { data: string; format: string } };

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string | Part[] }>;
}

describeModelBackend({
  backend: "openai",
  model: "Qwen2-Audio-7B-Instruct",
  generatePath: "/v1/chat/completions",
  ok: (text) => ({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }] }),
  error: (_status, message) => ({ error: { message, type: "invalid_request_error" } }),
  retryLater: (seconds) => ({ status: 429, body: { error: "slow down" }, headers: { "retry-after": String(seconds) } }),
  truncated: (text) => ({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "length" }] }),
  truncatedStop: 'finish_reason "length"',
  settings: (url) => ({ baseUrl: `${url}/v1`, apiKey: "test-key" }),
  urlVariable: "OPENAI_BASE_URL",
  refusedDetail: "ECONNREFUSED",
  keyFix: "set OPENAI_API_KEY to a valid key (OPENAI_API_KEY is set, but refused)",
  refusals: [
    {
      body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "This request violates our content policy." }, finish_reason: "stop" }] },
      words: "This request violates our content policy.",
    },
    {
      body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I'm sorry, I can't help with that." }, finish_reason: "stop" }] },
      words: "I'm sorry, I can't help with that.",
    },
    // A refusal cut off at the token limit is still a refusal: its words are the reason, not an observation.
    {
      body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help with identifying" }, finish_reason: "length" }] },
      words: "I can't help with identifying",
    },
  ],
  read(request) {
    expect(request.headers.authorization).toBe("Bearer test-key");
    const body = request.json as ChatBody;
    const system = body.messages.find((m) => m.role === "system");
    const user = body.messages.find((m) => m.role === "user")!;
    if (typeof user.content === "string") return { model: body.model, ...(system ? { system: system.content as string } : {}), prompt: user.content, images: [], audio: [] };
    const parts = user.content;
    const images = parts.flatMap((p) => {
      if (p.type !== "image_url") return [];
      expect(p.image_url.url).toMatch(/^data:image\/png;base64,/);
      return [p.image_url.url.replace(/^data:image\/png;base64,/, "")];
    });
    const audio = parts.flatMap((p) => {
      if (p.type !== "input_audio") return [];
      expect(p.input_audio.format).toBe("wav");
      return [p.input_audio.data];
    });
    const text = parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text);
    expect(text).toHaveLength(1);
    return { model: body.model, ...(system ? { system: system.content as string } : {}), prompt: text[0]!, images, audio };
  },
  transcribe: {
    path: "/v1/audio/transcriptions",
    ok: (text) => ({ text }),
    async read(request) {
      expect(request.headers.authorization).toBe("Bearer test-key");
      const form = request.form!;
      const file = form.get("file") as File;
      expect(file.name).toBe("speech.wav");
      expect(form.get("language")).toBe("en");
      expect(form.get("response_format")).toBe("json");
      return { model: String(form.get("model")), audio: Buffer.from(await file.arrayBuffer()).toString("base64") };
    },
  },
});
