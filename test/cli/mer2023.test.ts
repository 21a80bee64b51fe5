import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let root = "";
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

interface Rec {
  output: { text?: string; spokenLanguage?: string; features?: { syllables: number; syllablesAcoustic: number } };
  provenance: Record<string, unknown>;
}
const record = async (out: string, id: string, stage: string): Promise<Rec> =>
  JSON.parse(await readFile(path.join(out, "samples", id, "stages", `${stage}.json`), "utf8")) as Rec;

describe("merr build --source mer2023-semi (Mandarin clips, English sentences and the chinese column)", () => {
  it("subtitles with the English sentence, counts the speaking rate's syllables on the Chinese words, and redoes only that when they change", async () => {
    root = await tempOutDir("merr-mer2023-");
    const videos = path.join(root, "video");
    await mkdir(videos);
    await copyFile(projectPath("data", "sample", "1001_DFA_HAP_XX.flv"), path.join(videos, "sample_00000003.flv"));
    await copyFile(projectPath("data", "sample", "1001_DFA_ANG_XX.flv"), path.join(videos, "sample_00000007.flv"));
    const csv = path.join(root, "transcription.csv");
    const write = (chinese: string): Promise<void> =>
      writeFile(csv, `name,chinese,english\nsample_00000003,${chinese},Don't forget a jacket.\nsample_00000007,,Don't forget a jacket.\n`);
    const out = path.join(root, "out");
    const build = () => runMerr(["build", "--source", "mer2023-semi", "--input", videos, "--transcripts", csv, "--out", out, "--log-level", "warn"]);

    await write("别忘了带外套。");
    const first = await build();
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/sentences from column "english", the words as spoken from column "chinese"/);

    // The subtitle is the English sentence; the clip's language is Mandarin (MER2023's default).
    const transcript = await record(out, "sample_00000003", "transcript");
    expect(transcript.output).toMatchObject({ text: "Don't forget a jacket.", spokenLanguage: "zh" });
    // Six Han characters, six syllables: the rate counts what was said, not the translation.
    const withChinese = await record(out, "sample_00000003", "audio-tone");
    expect(withChinese.provenance).toMatchObject({ syllableSource: "transcript", syllablesFrom: "spoken" });
    expect(withChinese.output.features?.syllables).toBe(6);
    // No Chinese words for this clip: the English sentence is a translation, so the audio's syllable nuclei count.
    const translated = await record(out, "sample_00000007", "audio-tone");
    expect(translated.provenance).toMatchObject({ syllableSource: "acoustic", syllablesFrom: "audio" });

    // Edited Chinese words: audio-tone and what reads it, for that clip only.
    const before = (await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean).length;
    await write("别忘了带上你的外套。");
    const second = await build();
    expect(second.code).toBe(0);
    const ran = (await readFile(executionLogPath(out), "utf8"))
      .split("\n")
      .filter(Boolean)
      .slice(before)
      .map((l) => {
        const e = JSON.parse(l) as { sample: string; stage: string };
        return `${e.sample}/${e.stage}`;
      })
      .sort();
    expect(ran).toEqual(["sample_00000003/audio-tone", "sample_00000003/coarse", "sample_00000003/fine"]);
    expect((await record(out, "sample_00000003", "audio-tone")).output.features?.syllables).toBe(9);
  });
});
