import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { transcript } from "../../src/stages/transcript.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";

let outDir: string;
beforeAll(async () => {
  outDir = await tempOutDir("merr-transcript-");
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

async function run(sample: Sample, options: Record<string, unknown> = {}, deps: Record<string, unknown> = {}) {
  const { ctx } = await testContext({ outDir, sample, stage: "transcript" });
  return runStage(transcript, { sample, options, deps }, ctx);
}

// A real clip without subtitle streams: the stage looks for them in the media before any recognition.
const CLIP = projectPath("data/sample/1001_DFA_NEU_XX.flv");

describe("transcript without audio", () => {
  it("is skipped as no-audio (not done with an empty subtitle)", async () => {
    const r = await run({ id: "t1", path: CLIP, source: "folder" });
    expect(r).toMatchObject({ status: "skipped", skip: { code: "no-audio" } });
    // asr none does not change that: there is nothing to recognise.
    expect(await run({ id: "t1", path: CLIP, source: "folder" }, { asr: "none" })).toMatchObject({ status: "skipped", skip: { code: "no-audio" } });
  });

  it("still gives the source's transcript, which needs no audio", async () => {
    const r = await run({ id: "t2", path: "/clips/t2.mp4", source: "mer2023-semi", transcript: "  I  am fine. " });
    expect(r).toEqual({ status: "done", output: { text: "I am fine.", source: "given", language: null, spokenLanguage: "en" } });
    // The text of a given transcript has no language of its own; what is spoken is the stage's language
    // (MER2023: English sentences for Mandarin speech).
    const zh = await run({ id: "t2", path: "/clips/t2.mp4", source: "mer2023-semi", transcript: "I am fine." }, { language: "zh" });
    expect(zh).toEqual({ status: "done", output: { text: "I am fine.", source: "given", language: null, spokenLanguage: "zh" } });
  });

  it("with audio and asr none, is done with source none (no recogniser configured)", async () => {
    const audio = { wavPath: "/nonexistent.wav", durationS: 1, sampleRate: 16000 };
    const r = await run({ id: "t3", path: CLIP, source: "folder" }, { asr: "none" }, { "extract-audio": audio });
    expect(r).toMatchObject({ status: "done", output: { text: "", source: "none" } });
  });
});
