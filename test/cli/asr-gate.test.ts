import { execFileSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { espeak, flite, to16k } from "../helpers/audio-speech.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempDir } from "../helpers/temp.ts";

/** A clip with the sample actor's face and the given speech as its sound track. */
function clipWith(video: string, wav: string, out: string): string {
  execFileSync("ffmpeg", ["-v", "error", "-y", "-i", video, "-i", wav, "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", out]);
  return out;
}

describe("recognised text in the dataset: only what passes the transcript gate", () => {
  it("a folder of clips without transcripts: the Mandarin clip's recognised words reach no caption and no transcript row", async () => {
    const dir = await tempDir("merr-asr-gate-");
    const clips = path.join(dir, "clips");
    await mkdir(clips);
    const mandarin = await to16k(await espeak(dir, "zh", "我从来没有想过我们会再次见面，这么多年过去了。你为什么要告诉他？", { voice: "cmn" }));
    const english = await flite(dir, "en", "It is easy to tell the depth of a well");
    clipWith(projectPath("data/sample/1001_DFA_HAP_XX.flv"), mandarin, path.join(clips, "zh_clip.mp4"));
    clipWith(projectPath("data/sample/1001_DFA_ANG_XX.flv"), english, path.join(clips, "en_clip.mp4"));
    const out = path.join(dir, "run");
    const build = await runMerr(["build", "--source", "folder", "--input", clips, "--out", out, "--export", path.join(dir, "export")]);
    expect(build.stderr).not.toMatch(/E_INTERNAL/);
    expect(build.stdout).toMatch(/^transcripts rejected: 1 \(low-confidence×1\); those clips have no subtitle$/m);

    const zh = JSON.parse(await readFile(path.join(out, "samples", "zh_clip", "stages", "transcript.json"), "utf8"));
    expect(zh.output).toMatchObject({ text: "", source: "asr:pocketsphinx", gate: { status: "rejected", reason: "low-confidence" } });
    const heard: string = zh.output.gate.rejectedText;
    // The clip is cut to the video's 2 s: pocketsphinx hears a few words ("all three three").
    expect(heard.split(" ").length).toBeGreaterThanOrEqual(3);
    const en = JSON.parse(await readFile(path.join(out, "samples", "en_clip", "stages", "transcript.json"), "utf8"));
    expect(en.output.text).toMatch(/easy to tell the depth/);
    const sampleJson = JSON.parse(await readFile(path.join(out, "samples", "zh_clip", "sample.json"), "utf8"));
    expect(sampleJson.transcriptRejected).toBe("low-confidence");

    // Nothing the recogniser heard in the Mandarin clip appears in any exported file: the longest run of
    // three recognised words is searched for in every file the trainer reads.
    const words = heard.split(" ");
    const phrases = words.slice(0, -2).map((_, i) => words.slice(i, i + 3).join(" "));
    for (const file of ["transcription_en_all.csv", "MERR_coarse_grained.json", "MERR_fine_grained.json"]) {
      const text = (await readFile(path.join(dir, "export", file), "utf8").catch(() => "")).toLowerCase();
      for (const p of phrases) expect(text, `${file} contains "${p}"`).not.toContain(p);
    }
    const csv = await readFile(path.join(dir, "export", "transcription_en_all.csv"), "utf8");
    expect(csv).toMatch(/en_clip,"it is easy to tell the depth/i);
    const coarse = JSON.parse(await readFile(path.join(out, "samples", "zh_clip", "stages", "coarse.json"), "utf8"));
    if (coarse.status === "done") expect(coarse.output.caption).not.toMatch(/Saying:/);
  });
});
