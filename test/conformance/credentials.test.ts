import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkModelBackend, createModelClient, parseModelSettings, type ModelBackendName } from "../../src/adapters/models/index.ts";
import { maskUrlCredentials } from "../../src/adapters/models/server.ts";
import { MerrError } from "../../src/core/errors.ts";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { startProtocolServer, type ProtocolServer, type RecordedRequest, type ScriptedResponse } from "./protocol-server.ts";

/**
 * A user and password in a base URL (`OLLAMA_HOST=http://alice:...@host`, a proxy with Basic auth in front of
 * the model server): sent as `Authorization: Basic`, as curl does, and never printed.
 */
const USER = "alice";
const PASSWORD = "s3cret@pw"; // an "@" in a password is written %40 in the URL
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
const withCredentials = (url: string): string => url.replace("http://", `http://${USER}:${encodeURIComponent(PASSWORD)}@`);

const answers: Record<ModelBackendName, ScriptedResponse["body"]> = {
  ollama: { model: "llava:13b", created_at: new Date().toISOString(), message: { role: "assistant", content: "ok" }, done: true, done_reason: "stop" },
  openai: { choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }] },
  gemini: { candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP", index: 0 }] },
};

/** A proxy that lets only Alice through, and answers the protocol of the path asked. */
function proxy(r: RecordedRequest): ScriptedResponse {
  if (r.headers.authorization !== BASIC && !String(r.headers.authorization).startsWith("Bearer ")) return { status: 401, body: { error: "401 Unauthorized" } };
  if (r.path === "/api/tags") return { body: { models: [{ name: "llava:13b", model: "llava:13b" }] } };
  if (r.path === "/v1/models") return { body: { data: [{ id: "m" }] } };
  if (r.path === "/api/chat") return { body: answers.ollama };
  if (r.path === "/v1/chat/completions") return { body: answers.openai };
  return { body: answers.gemini };
}

let server: ProtocolServer;
beforeAll(async () => {
  server = await startProtocolServer(proxy);
});
beforeEach(() => server.reset());
afterAll(async () => server.close());

const settingsOf = (backend: ModelBackendName, baseUrl: string) => ({
  [backend]: { baseUrl: backend === "openai" ? `${baseUrl}/v1` : baseUrl, ...(backend === "gemini" ? { apiKey: "test-key" } : {}), timeoutMs: 5000 },
});

describe("a user and password in a backend's base URL", () => {
  for (const backend of ["ollama", "openai", "gemini"] as const) {
    it(`${backend}: travel as Basic auth, with the URL asked without them`, async () => {
      const client = createModelClient(`${backend}:m`, settingsOf(backend, withCredentials(server.url)), { logger: createMemoryLogger() });
      expect((await client.generate({ promptId: "t@1", prompt: "Hi." })).text).toBe("ok");
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.headers.authorization).toBe(BASIC);
      if (backend === "gemini") expect(server.requests[0]?.headers["x-goog-api-key"]).toBe("test-key");
    });
  }

  it("openai: an API key goes as the bearer token instead (one Authorization header)", async () => {
    const client = createModelClient("openai:m", { openai: { baseUrl: `${withCredentials(server.url)}/v1`, apiKey: "sk-1234" } });
    await client.generate({ promptId: "t@1", prompt: "Hi." });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer sk-1234");
  });

  it("pass preflight with Basic auth, and a refusal names the user and password in OLLAMA_HOST", async () => {
    expect(await checkModelBackend("ollama", "llava:13b", parseModelSettings({ ollama: { baseUrl: withCredentials(server.url) } }))).toMatchObject({ ok: true });
    expect(server.requests[0]?.headers.authorization).toBe(BASIC);
    const wrong = await checkModelBackend("ollama", "llava:13b", parseModelSettings({ ollama: { baseUrl: server.url.replace("http://", "http://alice:wrongpass@") } }));
    expect(wrong).toMatchObject({ ok: false, code: "E_CONFIG_INVALID", url: `${server.url}/api/tags` });
    expect(wrong.message).toBe(
      `ollama:llava:13b: ${server.url}/api/tags refused the request (401: 401 Unauthorized). Fix: check the user and password in OLLAMA_HOST (sent as Basic auth, and refused)`,
    );
  });

  it("are never printed: a dead server's preflight and per-call messages, and a server that echoes them", async () => {
    const dead = await startProtocolServer(proxy);
    const url = dead.url;
    await dead.close();
    const check = await checkModelBackend("ollama", "llava:13b", parseModelSettings({ ollama: { baseUrl: withCredentials(url) } }));
    // The real cause (before: fetch's "Request cannot be constructed from a URL that includes credentials",
    // with the password, diagnosed as a server to start).
    expect(check.message).toBe(
      `ollama:llava:13b: cannot reach ${url}/api/tags (ECONNREFUSED); the URL is set by OLLAMA_HOST. Fix: set OLLAMA_HOST to where the server listens, or start it with \`ollama serve\``,
    );
    for (const backend of ["ollama", "openai", "gemini"] as const) {
      const client = createModelClient(`${backend}:m`, settingsOf(backend, withCredentials(url)));
      const error = await client.generate({ promptId: "t@1", prompt: "Hi." }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MerrError);
      expect((error as MerrError).code).toBe("E_MODEL_UNAVAILABLE");
      expect((error as MerrError).message).not.toMatch(/s3cret|alice|%40pw/);
    }
    // A proxy's error page that quotes the URL it was given and the header.
    server.fallback = (r) => ({ status: 502, body: `bad gateway for ${withCredentials("http://10.0.0.9:11434")} (${String(r.headers.authorization)})` });
    const client = createModelClient("ollama:m", settingsOf("ollama", withCredentials(server.url)));
    await expect(client.generate({ promptId: "t@1", prompt: "Hi." })).rejects.toThrow(
      "[E_MODEL_UNAVAILABLE] ollama:m: server answered HTTP 502: bad gateway for http://***@10.0.0.9:11434 (Basic ***)",
    );
  });

  it("are masked in any text, up to the authority's last @", () => {
    expect(maskUrlCredentials("at http://alice:s3cret@pw@127.0.0.1:11555/api and https://u@h/x, not mail@host")).toBe(
      "at http://***@127.0.0.1:11555/api and https://***@h/x, not mail@host",
    );
  });
});
