import { expect } from "vitest";
import { describeModelBackend } from "./model-backend.ts";

interface OllamaChat {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content: string; images?: string[] }>;
}

describeModelBackend({
  backend: "ollama",
  model: "llava:13b",
  generatePath: "/api/chat",
  ok: (text) => ({ model: "llava:13b", created_at: new Date().toISOString(), message: { role: "assistant", content: text }, done: true }),
  error: (_status, message) => ({ error: message }),
  retryLater: (seconds) => ({ status: 429, body: { error: "slow down" }, headers: { "retry-after": String(seconds) } }),
  truncated: (text) => ({ model: "llava:13b", created_at: new Date().toISOString(), message: { role: "assistant", content: text }, done: true, done_reason: "length" }),
  truncatedStop: 'done_reason "length"',
  settings: (url) => ({ baseUrl: url }),
  urlVariable: "OLLAMA_HOST",
  refusedDetail: "ECONNREFUSED",
  keyFix: "check the server's access settings (a user and password go in OLLAMA_HOST as user:password@ before the host)",
  read(request) {
    expect(request.method).toBe("POST");
    const body = request.json as OllamaChat;
    expect(body.stream).toBe(false);
    const system = body.messages.find((m) => m.role === "system");
    const user = body.messages.find((m) => m.role === "user");
    expect(user).toBeDefined();
    return {
      model: body.model,
      ...(system ? { system: system.content } : {}),
      prompt: user!.content,
      images: user!.images ?? [],
      audio: [],
    };
  },
});
