import { describe, expect, it } from "vitest";
import { MerrError } from "../../src/core/errors.ts";
import {
  looksLikeRefusal,
  modelSettingsFromEnv,
  parseJsonAnswer,
  parseModelSettings,
  parseModelSpec,
} from "../../src/adapters/models/index.ts";
import { tokenLimitFailure } from "../../src/adapters/models/validate.ts";
import { isFinalFailure, MAX_SERVER_DELAY_MS, MAX_TRIES, retryDelayMs } from "../../src/runtime/retry.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { z } from "zod";
import { testContext, tempOutDir } from "../helpers/stage-context.ts";

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
  it("reads endpoints, keys and timeouts from env and fills defaults", () => {
    const s = parseModelSettings(
      modelSettingsFromEnv({
        OLLAMA_HOST: "0.0.0.0:11434",
        OPENAI_BASE_URL: "http://127.0.0.1:9000/v1/",
        OPENAI_API_KEY: "k1",
        GOOGLE_API_KEY: "g",
        MERR_OLLAMA_TIMEOUT_MS: "3000",
      }),
    );
    expect(s.ollama).toEqual({ baseUrl: "http://0.0.0.0:11434", timeoutMs: 3000, retryAfterMaxMs: 30_000, maxAnswerChars: 8000 });
    expect(s.openai).toMatchObject({ baseUrl: "http://127.0.0.1:9000/v1", apiKey: "k1", timeoutMs: 120_000 });
    expect(s.gemini).toMatchObject({ apiKey: "g" });
    expect(parseModelSettings(modelSettingsFromEnv({ GEMINI_API_KEY: "a", GOOGLE_API_KEY: "b" })).gemini.apiKey).toBe("a");
  });
  it("reports a bad number with its path", () => {
    expect(() => parseModelSettings(modelSettingsFromEnv({ MERR_OLLAMA_TIMEOUT_MS: "soon" }))).toThrow(/timeoutMs/);
  });
  it("names the replacement of a removed per-backend limit", () => {
    expect(() => modelSettingsFromEnv({ MERR_OPENAI_CONCURRENCY: "8" })).toThrow(/E_CONFIG_INVALID.*MERR_OPENAI_CONCURRENCY.*--concurrency stage=n/);
    expect(() => modelSettingsFromEnv({ MERR_GEMINI_RPM: "15" })).toThrow(/--rate-limit stage=max\/seconds/);
    expect(() => modelSettingsFromEnv({ MERR_OLLAMA_RETRIES: "3" })).toThrow(/retries are the queue's/);
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

describe("answers cut off at the token limit", () => {
  it("quote the answer's last words, from a word's start", () => {
    const long = `${"word ".repeat(30)}and then she raised her voice into a sharply falling into`;
    expect(tokenLimitFailure("gemini:g", long, undefined, "finishReason MAX_TOKENS").message).toBe(
      `[E_MODEL_OUTPUT_INVALID] gemini:g: answer cut off at the model's output token limit (finishReason MAX_TOKENS): "...word word and then she raised her voice into a sharply falling into"`,
    );
  });

  // The stage's own option is named only when it set the limit that cut the answer.
  const cutAt = (limit: number, options: z.ZodObject) =>
    defineStage({
      name: "cut",
      version: 1,
      description: "",
      options,
      output: z.object({}),
      run: async () => {
        throw tokenLimitFailure("openai:m", "and a sharply falling into", limit, 'finish_reason "length"');
      },
    });
  const message = async (limit: number, options: z.ZodObject, raw: Record<string, unknown> = {}) => {
    const outDir = await tempOutDir();
    const sample = { id: "s1", path: "/nonexistent/s1.mp4", source: "test" };
    const { ctx } = await testContext({ outDir, sample, stage: "cut" });
    return runStage(cutAt(limit, options), { sample, options: raw }, ctx).then(() => "", (e: Error) => e.message);
  };
  const base = '[E_MODEL_OUTPUT_INVALID] openai:m: answer cut off at the token limit (LIMIT tokens; finish_reason "length"): "and a sharply falling into"';
  it("name the stage option that set the limit", async () => {
    const withOption = z.object({ maxTokens: z.number().default(400) });
    expect(await message(400, withOption)).toBe(`${base.replace("LIMIT", "400")}; raise the stage option cut.maxTokens (now 400), e.g. --set cut.maxTokens=800`);
    expect(await message(250, withOption, { maxTokens: 250 })).toMatch(/--set cut\.maxTokens=500$/);
  });
  it("name no option where the stage has none, or its limit came from elsewhere (audio-tone asks for 96 tokens)", async () => {
    expect(await message(96, z.object({}))).toBe(base.replace("LIMIT", "96"));
    expect(await message(96, z.object({ maxTokens: z.number().default(400) }))).toBe(base.replace("LIMIT", "96"));
  });
});

describe("the retry policy (one layer: the queue)", () => {
  const err = (code: MerrError["code"]) => new MerrError(code, "x");
  it("fails a permanent error at once", () => {
    expect(isFinalFailure(err("E_MODEL_REJECTED"), 1, 3)).toBe(true);
    expect(isFinalFailure(err("E_MEDIA_INVALID"), 1, 3)).toBe(true);
  });
  it("gives connection errors, 429 and 5xx the stage's attempts", () => {
    expect([1, 2, 3].map((a) => isFinalFailure(err("E_MODEL_UNAVAILABLE"), a, 3))).toEqual([false, false, true]);
    expect([1, 2, 3, 4, 5].map((a) => isFinalFailure(err("E_MODEL_UNAVAILABLE"), a, 5))).toEqual([false, false, false, false, true]);
  });
  it("backs off exponentially with jitter, and at least as long as a server asked (plus a share of the backoff)", () => {
    const backoff = { delay: 1000, jitter: 0.5 };
    expect([1, 2, 3].map((n) => retryDelayMs(n, backoff, err("E_MODEL_UNAVAILABLE"), () => 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, backoff, err("E_MODEL_UNAVAILABLE"), () => 0.999))).toEqual([999, 1999, 3998]);
    // Gemini's retryDelay "40s": before, dropped, and three tries were spent within 5 s.
    const busy = new MerrError("E_MODEL_UNAVAILABLE", "HTTP 429", { details: { status: 429, retryAfterMs: 40_000 } });
    expect(retryDelayMs(1, backoff, busy, () => 0)).toBe(40_000);
    expect(retryDelayMs(1, backoff, busy, () => 0.5)).toBe(40_250);
    expect(retryDelayMs(8, backoff, busy, () => 0)).toBe(64_000); // the backoff, when it is longer
    expect(retryDelayMs(1, backoff, new MerrError("E_MODEL_UNAVAILABLE", "x", { details: { retryAfterMs: 86_400_000 } }), () => 0)).toBe(MAX_SERVER_DELAY_MS);
  });
  it("bounds timeouts and invalid answers to two tries, whatever the attempts", () => {
    expect(MAX_TRIES).toEqual({ E_TIMEOUT: 2, E_MODEL_OUTPUT_INVALID: 2 });
    expect([1, 2].map((a) => isFinalFailure(err("E_TIMEOUT"), a, 5))).toEqual([false, true]);
    expect([1, 2].map((a) => isFinalFailure(err("E_MODEL_OUTPUT_INVALID"), a, 5))).toEqual([false, true]);
    expect(isFinalFailure(err("E_TIMEOUT"), 1, 1)).toBe(true);
  });
});
