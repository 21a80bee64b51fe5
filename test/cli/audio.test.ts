import { rm } from "node:fs/promises";
import { Command } from "commander";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { registerAudioCommands } from "../../src/cli/commands/audio.ts";
import { projectPath } from "../../src/core/paths.ts";
import { flite, speechDir } from "../helpers/audio-speech.ts";

interface DescribeOutput {
  durationS: number;
  transcript: { text: string; source: string; language: string | null; gate?: { status: string } };
  features: { syllables: number; syllablesAcoustic: number; syllableSource: string; f0MedianHz: number };
  tone: { backend: string; description: string };
}

let dir: string;
beforeAll(async () => {
  dir = await speechDir();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function describeFile(args: string[]): Promise<DescribeOutput> {
  const program = new Command("merr").exitOverride();
  registerAudioCommands(program);
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await program.parseAsync(["audio", "describe", ...args], { from: "user" });
    return JSON.parse(String(log.mock.calls.at(-1)?.[0])) as DescribeOutput;
  } finally {
    log.mockRestore();
  }
}

it("merr audio describe counts the words as spoken, not a translation, for the speaking rate", async () => {
  const clip = projectPath("data/sample/1001_DFA_ANG_XX.flv");
  const spoken = await describeFile([clip, "--asr", "none", "--language", "zh", "--transcript", "Don't forget a jacket, please.", "--spoken", "别忘了带上外套。"]);
  expect(spoken.transcript).toEqual({ text: "Don't forget a jacket, please.", source: "given", language: null, spokenLanguage: "zh" });
  expect(spoken.features.syllables).toBe(7);
  const translated = await describeFile([clip, "--asr", "none", "--language", "zh", "--transcript", "Don't forget a jacket, please."]);
  expect(translated.features.syllables).toBe(translated.features.syllablesAcoustic);
});

it("merr audio describe prints transcript, features and tone of a video clip", async () => {
  const out = await describeFile([projectPath("data/sample/1001_DFA_ANG_XX.flv"), "--asr", "none", "--transcript", "Don't forget a jacket"]);
  expect(out.transcript).toEqual({ text: "Don't forget a jacket", source: "given", language: null, spokenLanguage: "en" });
  expect(out.durationS).toBeGreaterThan(2);
  expect(out.features.syllables).toBe(6);
  expect(out.features.f0MedianHz).toBeGreaterThan(100);
  expect(out.tone.backend).toBe("builtin");
  expect(out.tone.description).toMatch(/^speaks /);
});

it("recognises speech of a WAV with pocketsphinx by default", async () => {
  const wav = await flite(dir, "speech", "It is easy to tell the depth of a well");
  const out = await describeFile([wav]);
  expect(out.transcript.source).toBe("asr:pocketsphinx");
  expect(out.transcript.text).toMatch(/easy to tell the depth/);
  expect(out.transcript.gate?.status).toBe("accepted");
  expect(out.features.syllableSource).toBe("transcript");
});
