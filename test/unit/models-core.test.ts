import { describe, expect, it } from "vitest";
import { MerrError } from "../../src/core/errors.ts";
import {
  backoffDelay,
  createLimiter,
  looksLikeRefusal,
  modelSettingsFromEnv,
  parseJsonAnswer,
  parseModelSettings,
  parseModelSpec,
  type Clock,
} from "../../src/adapters/models/index.ts";

describe("parseModelSpec", () => {
  it("splits on the first colon only", () => {
    expect(parseModelSpec("ollama:llava:13b")).toEqual({ backend: "ollama", model: "llava:13b", spec: "ollama:llava:13b" });
    expect(parseModelSpec("openai:Qwen2-Audio-7B-Instruct").model).toBe("Qwen2-Audio-7B-Instruct");
    expect(parseModelSpec("openai-compat:x").backend).toBe("openai");
    expect(parseModelSpec(" gemini:gemini-1.5-flash ").spec).toBe("gemini:gemini-1.5-flash");
  });
  it("rejects unknown backends and missing models with E_CONFIG_INVALID", () => {
    for (const bad of ["llava", "vllm:x", "ollama:", "openai: a b"]) {
      expect(() => parseModelSpec(bad)).toThrow(MerrError);
    }
    expect(() => parseModelSpec("vllm:x")).toThrow(/unknown backend "vllm"/);
  });
});

describe("model settings", () => {
  it("reads endpoints, keys and limits from env and fills defaults", () => {
    const s = parseModelSettings(
      modelSettingsFromEnv({
        OLLAMA_HOST: "0.0.0.0:11434",
        OPENAI_BASE_URL: "http://127.0.0.1:9000/v1/",
        OPENAI_API_KEY: "k1",
        GOOGLE_API_KEY: "g",
        MERR_OPENAI_CONCURRENCY: "8",
        MERR_GEMINI_RPM: "15",
        MERR_OLLAMA_TIMEOUT_MS: "3000",
      }),
    );
    expect(s.ollama).toMatchObject({ baseUrl: "http://0.0.0.0:11434", timeoutMs: 3000, concurrency: 2 });
    expect(s.openai).toMatchObject({ baseUrl: "http://127.0.0.1:9000/v1", apiKey: "k1", concurrency: 8, retries: 3 });
    expect(s.gemini).toMatchObject({ apiKey: "g", requestsPerMinute: 15 });
    expect(parseModelSettings(modelSettingsFromEnv({ GEMINI_API_KEY: "a", GOOGLE_API_KEY: "b" })).gemini.apiKey).toBe("a");
  });
  it("reports a bad number with its path", () => {
    expect(() => parseModelSettings(modelSettingsFromEnv({ MERR_OLLAMA_CONCURRENCY: "many" }))).toThrow(/concurrency/);
  });
});

describe("answer checks", () => {
  it("detects refusal boilerplate but not ordinary captions", () => {
    expect(looksLikeRefusal("I cannot provide an analysis of this person's emotions.")).toBe(true);
    expect(looksLikeRefusal("I'm sorry, but I can't determine emotions from images.")).toBe(true);
    expect(looksLikeRefusal("As an AI language model, I do not infer feelings.")).toBe(true);
    expect(looksLikeRefusal('In the video, a woman frowns and says "I cannot believe this", which signals anger.')).toBe(false);
    expect(looksLikeRefusal("In the video, the man's raised cheeks and big smile show he is happy.")).toBe(false);
  });
  it("parses a JSON object answer with or without a fence", () => {
    expect(parseJsonAnswer('{"label":"sad"}')).toEqual({ label: "sad" });
    expect(parseJsonAnswer('Here:\n```json\n{"label":"sad"}\n```')).toEqual({ label: "sad" });
    expect(() => parseJsonAnswer("[1,2]")).toThrow(/E_MODEL_OUTPUT_INVALID/);
  });
});

describe("backoff and limiter", () => {
  const base = parseModelSettings({}).openai;
  it("doubles the delay per retry, caps it, and honours Retry-After within the cap", () => {
    expect([0, 1, 2, 10].map((a) => backoffDelay(a, base, () => 1))).toEqual([500, 1000, 2000, 20000]);
    expect(backoffDelay(0, base, () => 0)).toBe(250);
    expect(backoffDelay(0, base, () => 1, 3000)).toBe(3000);
    expect(backoffDelay(0, base, () => 1, 90_000)).toBe(20_000);
  });

  it("starts at most requestsPerMinute calls in a rolling minute", async () => {
    let now = 0;
    const waits: number[] = [];
    const clock: Clock = { now: () => now, sleep: async (ms) => void (waits.push(ms), (now += ms)) };
    const limiter = createLimiter({ concurrency: 10, requestsPerMinute: 2, clock });
    const startedAt: number[] = [];
    for (let i = 0; i < 5; i++) await limiter.run(async () => void startedAt.push(now));
    expect(startedAt).toEqual([0, 0, 60_000, 60_000, 120_000]);
  });

  it("runs at most `concurrency` calls at once, first in first out, and lets waiters abort", async () => {
    const limiter = createLimiter({ concurrency: 2, requestsPerMinute: 0 });
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 10));
      order.push(i);
      active--;
    };
    const controller = new AbortController();
    const runs = [0, 1, 2, 3].map((i) => limiter.run(task(i)));
    const aborted = limiter.run(task(9), controller.signal);
    controller.abort();
    await expect(aborted).rejects.toThrow(/E_ABORTED/);
    await Promise.all(runs);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(limiter.stats()).toEqual({ active: 0, queued: 0, started: 4 });
  });
});
