import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MerrError } from "../../src/core/errors.ts";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { projectPath } from "../../src/core/paths.ts";
import { createModelClient, systemClock, type Clock, type ModelBackendName, type ModelClient } from "../../src/adapters/models/index.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { makeWav, startProtocolServer, type ProtocolServer, type RecordedRequest, type ScriptedResponse } from "./protocol-server.ts";

/** What a request carried, read back from the protocol's own request shape. */
export interface SeenRequest {
  model: string;
  system?: string;
  prompt: string;
  images: string[];
  audio: string[];
}

/** How one protocol looks on the wire: used by {@link describeModelBackend}. */
export interface ProtocolHarness {
  backend: ModelBackendName;
  model: string;
  /** Path (with query) of a generate call. */
  generatePath: string;
  ok(text: string): unknown;
  error(status: number, message: string): unknown;
  /** A 429 answer that says when to come back (a Retry-After header, or the protocol's own field). */
  retryLater(seconds: number): ScriptedResponse;
  /** Reads a recorded generate request back (asserting the protocol's exact shape on the way). */
  read(request: RecordedRequest): SeenRequest;
  /** Backend settings pointing at the local server. */
  settings(url: string): Record<string, unknown>;
  /** The variable that sets the server's URL, and what a refused connection is said to be. */
  urlVariable: string;
  refusedDetail: string;
  /** The fix a 401 names (the harness's settings send a key where the backend has one). */
  keyFix: string;
  transcribe?: { path: string; ok(text: string): unknown; read(request: RecordedRequest): Promise<{ model: string; audio: string }> };
  /** An answer the server stopped at the token limit (its own field says so), with this text. */
  truncated(text: string): unknown;
  /** How the protocol names that stop, as the message quotes it. */
  truncatedStop: string;
  /** Answers the protocol itself marks as refusals (a refusal field, a safety block), with the words merr keeps. */
  refusals?: Array<{ body: unknown; words: string }>;
}

export const IMAGE = projectPath("test/fixtures/images/astronaut.png");

async function caught(promise: Promise<unknown>): Promise<MerrError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MerrError);
    return error as MerrError;
  }
  throw new Error("expected a MerrError");
}

/** The conformance suite every remote backend passes, against a local server speaking its protocol. */
export function describeModelBackend(h: ProtocolHarness): void {
  describe(`model backend conformance: ${h.backend}`, () => {
    let server: ProtocolServer;
    let dir: string;
    let wav: string;
    const sleeps: number[] = [];
    const clock: Clock = { now: systemClock.now, sleep: (ms, signal) => (sleeps.push(ms), systemClock.sleep(ms, signal)) };
    const defaultReply = (): ScriptedResponse => ({ body: h.ok("a plain answer") });

    beforeAll(async () => {
      server = await startProtocolServer(defaultReply);
      dir = await tempOutDir("merr-conformance-");
      wav = path.join(dir, "speech.wav");
      await writeFile(wav, makeWav());
    });
    afterAll(async () => server.close());
    afterEach(() => {
      server.reset();
      sleeps.length = 0;
    });

    const client = (backend: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ModelClient =>
      createModelClient(
        `${h.backend}:${h.model}`,
        { [h.backend]: { ...h.settings(server.url), retryAfterMaxMs: 200, timeoutMs: 5000, ...backend }, ...extra },
        { clock, logger: createMemoryLogger() },
      );

    it("sends the model name, system and user prompt, and returns the answer", async () => {
      const answer = await client().generate({ promptId: "t@1", system: "Be brief.", prompt: "Say hi." });
      expect(answer).toEqual({ text: "a plain answer", backend: h.backend, model: h.model, cached: false });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.path).toBe(h.generatePath);
      const seen = h.read(server.requests[0]!);
      expect(seen).toMatchObject({ model: h.model, system: "Be brief.", prompt: "Say hi.", images: [], audio: [] });
    });

    it("sends images as base64 of the exact file bytes", async () => {
      await client().generate({ promptId: "t@1", prompt: "Describe.", images: [{ path: IMAGE }] });
      const seen = h.read(server.requests[0]!);
      expect(seen.images).toEqual([(await readFile(IMAGE)).toString("base64")]);
    });

    it("sends audio when the protocol can carry it, else fails fast with E_MODEL_UNSUPPORTED", async () => {
      const c = client();
      if (c.capabilities.audio) {
        await c.generate({ promptId: "t@1", prompt: "Listen.", audio: [{ path: wav }] });
        expect(h.read(server.requests[0]!).audio).toEqual([(await readFile(wav)).toString("base64")]);
      } else {
        const error = await caught(c.generate({ promptId: "t@1", prompt: "Listen.", audio: [{ path: wav }] }));
        expect(error.code).toBe("E_MODEL_UNSUPPORTED");
        expect(server.requests).toHaveLength(0);
      }
    });

    it("transcribes when it can, else E_MODEL_UNSUPPORTED", async () => {
      const c = client();
      if (!c.capabilities.transcribe || !h.transcribe) {
        expect((await caught(c.transcribe({ audio: { path: wav } }))).code).toBe("E_MODEL_UNSUPPORTED");
        return;
      }
      server.fallback = () => ({ body: h.transcribe!.ok("hello there") });
      const result = await c.transcribe({ audio: { path: wav }, language: "en" });
      expect(server.requests[0]?.path).toBe(h.transcribe.path);
      expect(result).toMatchObject({ text: "hello there", backend: h.backend, model: h.model, cached: false });
      const seen = await h.transcribe.read(server.requests[0]!);
      expect(seen).toEqual({ model: h.model, audio: (await readFile(wav)).toString("base64") });
    });

    it("waits out a 429's Retry-After inside the call (up to retryAfterMaxMs in total), then answers", async () => {
      server.queue = [h.retryLater(0.05), h.retryLater(0.1)];
      const answer = await client().generate({ promptId: "t@1", prompt: "Hi." });
      expect(answer.text).toBe("a plain answer");
      expect(server.requests).toHaveLength(3);
      expect(sleeps).toEqual([50, 100]);
    });

    it("fails a 429 whose Retry-After exceeds the budget, a 429 without it and a 5xx at once, retryable: the queue retries", async () => {
      for (const reply of [
        { ...h.retryLater(1), status: 429 },
        { status: 429, body: h.error(429, "slow down") },
        { status: 503, body: h.error(503, "loading model"), headers: { "retry-after": "0.05" } },
        { status: 500, body: h.error(500, "boom") },
      ]) {
        server.reset();
        server.queue = [reply];
        const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi." }));
        expect(error.code).toBe("E_MODEL_UNAVAILABLE");
        expect(error.retryable).toBe(true);
        expect(error.message).toContain(`HTTP ${reply.status}`);
        expect(server.requests).toHaveLength(1);
      }
      expect(sleeps).toEqual([]);
      // The delay beyond the budget stays with the error: the queue waits it (runtime/retry.ts).
      server.reset();
      server.queue = [h.retryLater(40)];
      const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi." }));
      expect(error.details).toMatchObject({ status: 429, retryAfterMs: 40_000 });
      expect(error.message).toMatch(/HTTP 429: .*; the server asks to retry after 40 s$/);
    });

    it("fails other 4xx at once with E_MODEL_REJECTED and the server's reason", async () => {
      server.queue = [{ status: 404, body: h.error(404, `model "${h.model}" not found`) }];
      const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi." }));
      expect(error.code).toBe("E_MODEL_REJECTED");
      expect(error.retryable).toBe(false);
      expect(error.message).toContain("not found");
      expect(server.requests).toHaveLength(1);
    });

    it("names the key or login to fix when the server refuses the request (401, 403)", async () => {
      for (const status of [401, 403]) {
        server.queue = [{ status, body: h.error(status, "access denied") }];
        const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi." }));
        expect(error.code).toBe("E_MODEL_REJECTED");
        expect(error.message).toBe(`[E_MODEL_REJECTED] ${h.backend}:${h.model}: server answered HTTP ${status}: access denied. Fix: ${h.keyFix}`);
      }
    });

    it("fails a malformed JSON body with a retryable E_MODEL_OUTPUT_INVALID and the reason, after one request", async () => {
      server.fallback = () => ({ status: 200, body: "{not json", headers: { "content-type": "application/json" } });
      const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi." }));
      expect(error.code).toBe("E_MODEL_OUTPUT_INVALID");
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/malformed JSON|JSON/);
      expect(server.requests).toHaveLength(1);
    });

    it("rejects an empty answer and a non-JSON answer to a JSON request", async () => {
      server.fallback = () => ({ body: h.ok("   ") });
      expect((await caught(client().generate({ promptId: "t@1", prompt: "Hi." }))).message).toMatch(/empty answer/);
      expect(server.requests).toHaveLength(1);
      server.fallback = () => ({ body: h.ok("Sure! The label is happy.") });
      const error = await caught(client().generate({ promptId: "t@1", prompt: "Hi.", json: true }));
      expect(error.message).toMatch(/not a JSON object/);
      expect(server.requests).toHaveLength(2);
      server.fallback = () => ({ body: h.ok('```json\n{"label": "sad"}\n```') });
      expect((await client().generate({ promptId: "t@1", prompt: "Hi.", json: true })).text).toContain('"sad"');
    });

    it("fails an answer cut off at the token limit with a retryable E_MODEL_OUTPUT_INVALID naming the limit, and never caches it", async () => {
      const cut = "The person speaks with a loud, tense voice and a sharply falling into";
      server.fallback = () => ({ body: h.truncated(cut) });
      const cacheDir = path.join(dir, `truncated-cache-${Date.now()}`);
      const request = { promptId: "t@1", prompt: "Describe the tone.", maxTokens: 96 };
      const error = await caught(client({}, { cacheDir }).generate(request));
      expect(error.code).toBe("E_MODEL_OUTPUT_INVALID");
      expect(error.retryable).toBe(true);
      expect(error.message).toBe(
        `[E_MODEL_OUTPUT_INVALID] ${h.backend}:${h.model}: answer cut off at the token limit (96 tokens; ${h.truncatedStop}): "${cut}"`,
      );
      expect(error.details).toEqual({ tokenLimit: 96 });
      // A JSON request too: the cut is named, not "not a JSON object".
      server.fallback = () => ({ body: h.truncated('{"label": "sad", "caption": "She looks') });
      expect((await caught(client().generate({ ...request, json: true }))).message).toMatch(/cut off at the token limit/);
      // Not cached: the next call asks again and takes a whole answer.
      server.fallback = defaultReply;
      expect(await client({}, { cacheDir }).generate(request)).toMatchObject({ text: "a plain answer", cached: false });
      expect(server.requests).toHaveLength(3);
    });

    it("times out with E_TIMEOUT", async () => {
      server.queue = [{ body: h.ok("late"), delayMs: 600 }];
      const started = Date.now();
      const error = await caught(client({ timeoutMs: 150 }).generate({ promptId: "t@1", prompt: "Hi." }));
      expect(error.code).toBe("E_TIMEOUT");
      expect(Date.now() - started).toBeLessThan(550);
    });

    it("maps a refused connection to a retryable E_MODEL_UNAVAILABLE at once (the queue retries)", async () => {
      const closed = await startProtocolServer(defaultReply);
      const url = closed.url;
      await closed.close();
      const c = createModelClient(`${h.backend}:${h.model}`, { [h.backend]: h.settings(url) }, { clock });
      const error = await caught(c.generate({ promptId: "t@1", prompt: "Hi." }));
      expect(error.code).toBe("E_MODEL_UNAVAILABLE");
      expect(error.retryable).toBe(true);
      // The URL, the variable that set it and the fix, as preflight says them: a server that goes down
      // mid-run is met by the samples.
      const v = h.urlVariable;
      expect(error.message).toBe(
        `[E_MODEL_UNAVAILABLE] ${h.backend}:${h.model}: cannot reach the server at ${String(h.settings(url).baseUrl)} (${h.refusedDetail}; the URL is set by ${v}): start it there, or set ${v} to where it listens`,
      );
      expect(sleeps).toEqual([]);
    });

    it("puts no cap of its own on calls in flight: the callers' concurrency is what reaches the server", async () => {
      server.fallback = () => ({ body: h.ok("ok"), delayMs: 100 });
      const c = client();
      await Promise.all(Array.from({ length: 8 }, (_, i) => c.generate({ promptId: "t@1", prompt: `n${i}` })));
      expect(server.requests).toHaveLength(8);
      expect(server.maxInFlight).toBe(8);
    });

    it("answers a repeated request from the cache, and asks again when prompt or media change", async () => {
      const cacheDir = path.join(dir, `cache-${Date.now()}`);
      const c = client({}, { cacheDir });
      const img = path.join(dir, "frame.png");
      await writeFile(img, await readFile(IMAGE));
      const request = { promptId: "p@1", prompt: "Describe.", images: [{ path: img }] };
      expect((await c.generate(request)).cached).toBe(false);
      const again = await client({}, { cacheDir }).generate(request);
      expect(again).toEqual({ text: "a plain answer", backend: h.backend, model: h.model, cached: true });
      expect(server.requests).toHaveLength(1);
      await c.generate({ ...request, promptId: "p@2" });
      await c.generate({ ...request, prompt: "Describe it." });
      await writeFile(img, Buffer.concat([await readFile(IMAGE), Buffer.from([0])]));
      await c.generate(request);
      expect(server.requests).toHaveLength(4);
    });

    // Only protocols that can mark a refusal (Ollama's cannot: its refusals are text, read by the stages).
    const refusals = h.refusals;
    if (refusals) it("returns an answer the protocol marks as a refusal as refused, whatever its words, and caches it so", async () => {
      for (const [i, refusal] of refusals.entries()) {
        server.reset();
        server.queue = [{ body: refusal.body }];
        const cacheDir = path.join(dir, `refusal-cache-${Date.now()}-${i}`);
        // Neither the JSON check nor the stage's check applies: a refusal is no answer to the question.
        const request = {
          promptId: "r@1",
          prompt: `Describe ${i}.`,
          json: true,
          check: () => {
            throw new MerrError("E_MODEL_OUTPUT_INVALID", "the stage's check ran on a refusal");
          },
        };
        const answer = await client({}, { cacheDir }).generate(request);
        expect(answer).toEqual({ text: refusal.words, refused: true, backend: h.backend, model: h.model, cached: false });
        expect(server.requests).toHaveLength(1);
        const again = await client({}, { cacheDir }).generate(request);
        expect(again).toEqual({ ...answer, cached: true });
        expect(server.requests).toHaveLength(1);
      }
    });
  });
}
