import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { runMerr } from "../helpers/cli.ts";
import { readExecutions } from "../helpers/runs.ts";
import { tempDir } from "../helpers/temp.ts";

const srt = (...lines: string[]): string => lines.map((l, i) => `${i + 1}\n00:00:0${i},000 --> 00:00:0${i},900\n${l}\n`).join("\n");
const record = async (out: string, id: string, stage: string) => JSON.parse(await readFile(path.join(out, "samples", id, "stages", `${stage}.json`), "utf8"));

describe("subtitle files beside the clips of a folder", () => {
  it("give the subtitle and the words as spoken; editing one redoes that clip's transcript and what reads it, nothing else", async () => {
    const dir = await tempDir("merr-subtitle-files-");
    const clips = path.join(dir, "clips");
    await mkdir(clips);
    await copyFile(projectPath("data/sample/1001_DFA_HAP_XX.flv"), path.join(clips, "hap.flv"));
    await copyFile(projectPath("data/sample/1001_DFA_ANG_XX.flv"), path.join(clips, "ang.flv"));
    await writeFile(path.join(clips, "hap.en.srt"), srt("<i>Don't forget</i> your coat.", "[door slams]"));
    await writeFile(path.join(clips, "hap.zh.srt"), srt("别忘了你的外套"));
    const out = path.join(dir, "run");
    const args = ["build", "--source", "folder", "--input", clips, "--out", out, "--language", "zh", "--log-level", "warn"];
    const first = await runMerr(args);
    expect(first.stderr).not.toMatch(/E_INTERNAL/);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/note: --input \S+: 1 clip takes its subtitle from the subtitle files beside it \(<clip>\.srt, <clip>\.en\.srt, \.vtt, \.ass; 2 files read\)/);
    // The clip without a subtitle file is still the recogniser's, which knows English only.
    expect(first.stderr).toMatch(/transcripts: 1 of 2 samples have no transcript from the source; a text subtitle stream in a clip is read first; pocketsphinx knows English only/);

    const hap = await record(out, "hap", "transcript");
    expect(hap.output).toMatchObject({ text: "Don't forget your coat.", source: "given" });
    const tone = await record(out, "hap", "audio-tone");
    // The speaking rate counts the Chinese words as spoken (7 characters), not the English subtitle's syllables.
    expect(tone.provenance).toMatchObject({ syllablesFrom: "spoken" });
    expect(tone.output.features.syllables).toBe(7);
    const coarse = await record(out, "hap", "coarse");
    expect(coarse.status).toBe("done");
    expect(coarse.output.caption).toMatch(/Saying: Don't forget your coat\.$/);
    expect((await record(out, "ang", "transcript")).output).toMatchObject({ text: "", gate: { reason: "asr-language-unsupported" } });

    const before = (await readExecutions(out)).length;
    await writeFile(path.join(clips, "hap.en.srt"), srt("Take your coat."));
    const second = await runMerr(args);
    expect(second.code).toBe(0);
    const again = (await readExecutions(out)).slice(before);
    expect(again.length).toBeGreaterThan(0);
    expect(new Set(again.map((e) => e.sample))).toEqual(new Set(["hap"]));
    expect(again.map((e) => e.stage)).toContain("transcript");
    for (const stage of ["probe", "au-extract", "au-analyze", "extract-audio"]) expect(again.map((e) => e.stage)).not.toContain(stage);
    expect((await record(out, "hap", "coarse")).output.caption).toMatch(/Saying: Take your coat\.$/);
  });
});
