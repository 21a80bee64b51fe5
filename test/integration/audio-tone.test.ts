import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MerrError } from "../../src/core/errors.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { audioTone, type AudioToneOutput } from "../../src/stages/audio-tone.ts";
import { startProtocolServer, type ProtocolServer, type RecordedRequest } from "../conformance/protocol-server.ts";
import { espeak, flite, nonSpeech, speechDir, steadyTone, to16k } from "../helpers/audio-speech.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";

const TEXT = "The quick brown fox jumps over the lazy dog near the river bank";

let dir: string;
let outDir: string;
let lowSlow: string;
let highFast: string;
let silence: string;

beforeAll(async () => {
  dir = await speechDir();
  outDir = await tempOutDir();
  // extract-audio's format: 16 kHz mono s16 WAV (espeak-ng writes 22.05 kHz).
  lowSlow = await to16k(await espeak(dir, "low-slow", TEXT, { pitch: 10, speed: 110 }));
  highFast = await to16k(await espeak(dir, "high-fast", TEXT, { voice: "en+f3", pitch: 90, speed: 300 }));
  silence = await nonSpeech(dir, "silence");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

async function run(file: string, options: Record<string, unknown> = {}, settings: Record<string, unknown> = {}, text = TEXT, spokenLanguage = "en", spokenTranscript?: string) {
  const sample: Sample = { id: path.basename(file, ".wav").replace(/\./g, "-"), path: file, source: "folder", ...(spokenTranscript ? { spokenTranscript } : {}) };
  const { ctx, provenance } = await testContext({ outDir, sample, stage: "audio-tone", settings });
  const deps = { "extract-audio": { wavPath: file, durationS: 4, sampleRate: 16000 }, transcript: { text, source: "given", language: null, spokenLanguage } };
  const result = await runStage(audioTone, { sample, options, deps }, ctx);
  return { result, provenance, output: (result as { output?: AudioToneOutput }).output };
}

describe("builtin backend", () => {
  it("measures, saves the features and describes low/slow and high/fast speech differently", async () => {
    const low = (await run(lowSlow)).output!;
    const high = (await run(highFast)).output!;
    expect(low.backend).toBe("builtin");
    expect(low.features.f0MedianHz!).toBeLessThan(high.features.f0MedianHz!);
    expect(low.features.articulationRateSylPerS!).toBeLessThan(high.features.articulationRateSylPerS!);
    expect(low.features.syllables).toBe(16); // from the transcript, via the CMU dictionary
    expect(low.description).not.toBe(high.description);
    expect(high.arousal).toBeGreaterThan(low.arousal);
    const saved = JSON.parse(await readFile(low.featuresPath, "utf8")) as { features: { f0MedianHz: number }; tracks: { f0Hz: unknown[] } };
    expect(saved.features.f0MedianHz).toBe(low.features.f0MedianHz);
    expect(saved.tracks.f0Hz.length).toBeGreaterThan(300);
  });
  it("counts the syllables of the words as spoken, never those of a translated subtitle", async () => {
    const en = await run(lowSlow);
    expect(en.provenance).toMatchObject({ syllableSource: "transcript", syllablesFrom: "transcript" });
    expect(en.output!.features.syllables).toBe(16);
    // MER2023: an English sentence for Mandarin speech is a translation: the audio's syllable nuclei count...
    const translated = await run(lowSlow, {}, {}, TEXT, "zh");
    expect(translated.provenance).toMatchObject({ syllableSource: "acoustic", syllablesFrom: "audio" });
    expect(translated.output!.features.syllables).toBe(translated.output!.features.syllablesAcoustic);
    // ...and the chinese column, when the source has it, gives the spoken syllables: one per Han character.
    const spoken = await run(lowSlow, {}, {}, TEXT, "zh", "狐狸跳过了懒狗。");
    expect(spoken.provenance).toMatchObject({ syllableSource: "transcript", syllablesFrom: "spoken" });
    expect(spoken.output!.features.syllables).toBe(7);
    expect(spoken.output!.features.articulationRateSylPerS!).toBeLessThan(en.output!.features.articulationRateSylPerS!);
    // Han characters are not English words: spoken English with a Chinese text falls back to the audio's nuclei.
    const mismatched = await run(lowSlow, {}, {}, "", "en", "狐狸跳过了懒狗。");
    expect(mismatched.provenance).toMatchObject({ syllableSource: "acoustic", syllablesFrom: "audio" });
  });
  it("skips audio without voiced speech as no-speech", async () => {
    const { result } = await run(silence, {}, {}, "");
    expect(result).toMatchObject({ status: "skipped", skip: { code: "no-speech" } });
  });
  it("skips a steady tone as no-speech, saying what was measured: a 440 Hz sine through AAC, a sawtooth buzz", async () => {
    // Before, the sine was "a loud, very high-pitched and slow voice with flat, monotone intonation".
    for (const kind of ["sine", "buzz"] as const) {
      const { result } = await run(await steadyTone(dir, kind), {}, {}, "");
      expect(result).toMatchObject({ status: "skipped", skip: { code: "no-speech" } });
      const message = (result as { skip: { message: string } }).skip.message;
      expect(message).toMatch(/^the voiced sound is a steady tone, not a voice: its level varies by 0\.\d\d dB \(SD; speech varies by 4 dB or more\), pitch spread 0\.0\d semitones, HNR \d+ dB$/);
    }
  });
  it("describes generated speech, even monotone (espeak-ng, flite), as a voice", async () => {
    const monotone = [
      await to16k(await espeak(dir, "mono-espeak", TEXT, { monotone: true })),
      await to16k(await flite(dir, "mono-flite", TEXT, { monotone: true })),
    ];
    for (const file of [lowSlow, highFast, ...monotone]) {
      const { result, output } = await run(file);
      expect(result.status).toBe("done");
      expect(output!.description).toMatch(/^speaks /);
    }
    for (const file of monotone) expect((await run(file)).output!.features.f0SdSemitones!).toBeLessThan(0.3);
  });
});

const WAV_B64 = async () => (await readFile(lowSlow)).toString("base64");

describe("openai backend (Qwen2-Audio behind vLLM's OpenAI-compatible API)", () => {
  let server: ProtocolServer;
  const answer = (content: string) => ({ body: { choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }] } });
  beforeAll(async () => {
    server = await startProtocolServer(() => answer("speaks with a calm, steady voice"));
  });
  afterAll(() => server.close());
  const settings = () => ({ models: { openai: { baseUrl: `${server.url}/v1` } } });

  it("sends the model, the WAV as input_audio and the tone prompt, and keeps the measured features", async () => {
    server.requests.length = 0;
    const { output, provenance } = await run(lowSlow, { backend: "openai:Qwen/Qwen2-Audio-7B-Instruct" }, settings());
    expect(output?.description).toBe("speaks with a calm, steady voice.");
    expect(output?.backend).toBe("openai:Qwen/Qwen2-Audio-7B-Instruct");
    expect(output?.features.f0MedianHz).toBeGreaterThan(0);
    expect(provenance.prompt).toBe("audio-tone/describe@1");
    const req = server.requests[0] as RecordedRequest;
    expect(req.path).toBe("/v1/chat/completions");
    const body = req.json as { model: string; messages: Array<{ role: string; content: unknown }> };
    expect(body.model).toBe("Qwen/Qwen2-Audio-7B-Instruct");
    expect(body.messages[0]).toMatchObject({ role: "system" });
    const user = body.messages[1] as { role: string; content: Array<Record<string, unknown>> };
    expect(user.role).toBe("user");
    expect(user.content[0]).toMatchObject({ type: "text" });
    expect(String(user.content[0]!.text)).toMatch(/tone and intonation/);
    expect(String(user.content[0]!.text)).toContain(`The person says: "${TEXT}"`);
    expect(user.content[1]).toEqual({ type: "input_audio", input_audio: { data: await WAV_B64(), format: "wav" } });
  });
  it("waits out a 429's Retry-After and leaves a 5xx to the queue (retryable)", async () => {
    server.requests.length = 0;
    server.queue = [{ status: 429, body: { error: { message: "busy" } }, headers: { "retry-after": "0.05" } }];
    const { output } = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings());
    expect(output?.description).toBe("speaks with a calm, steady voice.");
    expect(server.requests).toHaveLength(2);
    server.queue = [{ status: 500, body: { error: { message: "oops" } } }];
    const error = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_MODEL_UNAVAILABLE", retryable: true });
    expect(server.requests).toHaveLength(3);
  });
  it("fails the sample with the server's reason on a 4xx", async () => {
    server.queue = [{ status: 400, body: { error: { message: "audio input is not supported by this model" } } }];
    const error = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_MODEL_REJECTED");
    expect((error as MerrError).message).toContain("audio input is not supported by this model");
  });
  it("a refusal, in words or in the refusal field, is the partial skip `refused`: the sample goes on without a tone", async () => {
    server.requests.length = 0;
    server.queue = [answer("I'm sorry, but I cannot analyze audio recordings of people.")];
    const { result } = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings());
    expect(result).toMatchObject({ status: "skipped", skip: { code: "refused", message: "openai:qwen2-audio refused to describe the tone: I'm sorry, but I cannot analyze audio recordings of people." } });
    expect(audioTone.partialSkips).toContain("refused");
    expect(server.requests).toHaveLength(1);
    server.queue = [{ body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "This request violates our content policy." } }] } }];
    const field = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings());
    expect(field.result).toMatchObject({ status: "skipped", skip: { code: "refused", message: "openai:qwen2-audio refused to describe the tone: This request violates our content policy." } });
    expect(server.requests).toHaveLength(2);
  });
  it("fails an empty or over-long answer with a retryable E_MODEL_OUTPUT_INVALID (the queue asks again)", async () => {
    server.requests.length = 0;
    server.queue = [answer("  ")];
    const empty = await run(lowSlow, { backend: "openai:qwen2-audio" }, settings()).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: "E_MODEL_OUTPUT_INVALID", retryable: true });
    expect(server.requests).toHaveLength(1);
    expect((await run(lowSlow, { backend: "openai:qwen2-audio" }, settings())).output?.description).toBe("speaks with a calm, steady voice.");
    expect(server.requests).toHaveLength(2);
    server.queue = [answer("speaks ".repeat(60))];
    const long = await run(lowSlow, { backend: "openai:qwen2-audio", maxChars: 200 }, settings()).catch((e: unknown) => e);
    expect((long as MerrError).message).toMatch(/too long/);
  });
});

describe("gemini backend", () => {
  let server: ProtocolServer;
  beforeAll(async () => {
    server = await startProtocolServer(() => ({
      body: { candidates: [{ content: { role: "model", parts: [{ text: "speaks in a low, slow and flat tone." }] }, finishReason: "STOP", index: 0 }] },
    }));
  });
  afterAll(() => server.close());
  const settings = () => ({ models: { gemini: { baseUrl: server.url, apiKey: "test-key" } } });

  it("sends the audio inline with the prompt and the system instruction", async () => {
    server.requests.length = 0;
    const { output } = await run(lowSlow, { backend: "gemini:gemini-1.5-flash" }, settings());
    expect(output?.description).toBe("speaks in a low, slow and flat tone.");
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1beta/models/gemini-1.5-flash:generateContent");
    expect(req.headers["x-goog-api-key"]).toBe("test-key");
    const body = req.json as { contents: Array<{ parts: Array<{ text?: string; inlineData?: { mimeType: string; data: string } }> }>; systemInstruction?: unknown };
    const parts = body.contents[0]!.parts;
    expect(parts[0]!.text).toMatch(/tone and intonation/);
    expect(parts[1]!.inlineData).toEqual({ mimeType: "audio/wav", data: await WAV_B64() });
    expect(JSON.stringify(body.systemInstruction)).toMatch(/describe how the person speaks/);
  });
  it("leaves a 503 to the queue (retryable) and fails on 400 with the reason", async () => {
    server.requests.length = 0;
    server.queue = [{ status: 503, body: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } } }];
    const busy = await run(lowSlow, { backend: "gemini:gemini-1.5-flash" }, settings()).catch((e: unknown) => e);
    expect(busy).toMatchObject({ code: "E_MODEL_UNAVAILABLE", retryable: true });
    expect(server.requests).toHaveLength(1);
    server.queue = [{ status: 400, body: { error: { code: 400, message: "Unsupported MIME type", status: "INVALID_ARGUMENT" } } }];
    const error = await run(lowSlow, { backend: "gemini:gemini-1.5-flash" }, settings()).catch((e: unknown) => e);
    expect((error as MerrError).code).toBe("E_MODEL_REJECTED");
    expect((error as MerrError).message).toContain("Unsupported MIME type");
  });
  it("a safety block is the partial skip `refused`", async () => {
    server.queue = [{ body: { promptFeedback: { blockReason: "SAFETY" } } }];
    const { result } = await run(lowSlow, { backend: "gemini:gemini-1.5-flash" }, settings());
    expect(result).toMatchObject({ status: "skipped", skip: { code: "refused", message: "gemini:gemini-1.5-flash refused to describe the tone: the prompt was blocked (blockReason SAFETY)" } });
  });
});
