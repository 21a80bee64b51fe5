import { copyFile, mkdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
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

const clip = (emotion: string): string => projectPath("data", "sample", `1001_DFA_${emotion}_XX.flv`);

/** `sample/stage` of every execution logged since line `from`, sorted. */
async function executedSince(out: string, from: number): Promise<{ all: number; since: string[] }> {
  const lines = (await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean);
  const since = lines.slice(from).map((l) => {
    const e = JSON.parse(l) as { sample: string; stage: string };
    return `${e.sample}/${e.stage}`;
  });
  return { all: lines.length, since: since.sort() };
}

const ALL = ["au-analyze", "au-extract", "audio-tone", "coarse", "extract-audio", "features", "fine", "peak-frame", "probe", "sample-frames", "transcript", "visual-describe"];

describe("merr build into the same --out after an input changed (manifest CSV, real ffmpeg and face analysis)", () => {
  it("redoes exactly the stages that read the changed input, for the changed sample only", async () => {
    root = await tempOutDir("merr-changed-");
    await mkdir(path.join(root, "clips"));
    await copyFile(clip("HAP"), path.join(root, "clips", "a.flv"));
    await copyFile(clip("DIS"), path.join(root, "clips", "b.flv"));
    const csv = path.join(root, "clips.csv");
    const manifest = (a: { label: string; transcript: string }): Promise<void> =>
      writeFile(csv, `path,id,label,transcript\nclips/a.flv,a,${a.label},${a.transcript}\nclips/b.flv,b,happy,Something else.\n`);
    const out = path.join(root, "out");
    // A rule set of the user's own (a copy of merr's), edited below.
    const rules = path.join(root, "my-rules.yaml");
    await copyFile(projectPath("au-rules", "merr.yaml"), rules);
    const build = async (): Promise<{ stderr: string; ran: string[] }> => {
      const before = await executedSince(out, 0).catch(() => ({ all: 0, since: [] }));
      const r = await runMerr(["build", "--source", "manifest", "--input", csv, "--out", out, "--log-level", "warn", "--set", `au-analyze.rules=${rules}`]);
      expect(r.stderr).not.toMatch(/Error/);
      expect([0, 2]).toContain(r.code);
      return { stderr: r.stderr, ran: (await executedSince(out, before.all)).since };
    };

    await manifest({ label: "happy", transcript: "I am happy today." });
    const first = await build();
    expect(first.ran).toEqual([...ALL.map((s) => `a/${s}`), ...ALL.map((s) => `b/${s}`)].sort());
    expect(first.stderr).toMatch(/0 samples changed since the last build, 2 new or unfinished/);

    // An edited transcript: the transcript stage and what reads it (audio-tone's speaking rate, coarse, fine).
    await manifest({ label: "happy", transcript: "I am very happy today." });
    const transcript = await build();
    expect(transcript.ran).toEqual(["a/audio-tone", "a/coarse", "a/fine", "a/transcript"]);
    expect(transcript.stderr).toMatch(/1 sample changed since the last build, 0 new or unfinished, 1 unchanged; stage jobs to run: transcript 1, audio-tone 1, coarse 1, fine 1$/m);

    // An edited label: fine only.
    await manifest({ label: "angry", transcript: "I am very happy today." });
    const label = await build();
    expect(label.ran).toEqual(["a/fine"]);
    expect(label.stderr).toMatch(/stage jobs to run: fine 1$/m);

    // A replaced video (another clip under the same name): every stage of that sample.
    await copyFile(clip("ANG"), path.join(root, "clips", "a.flv"));
    const replaced = await build();
    expect(replaced.ran).toEqual(ALL.map((s) => `a/${s}`).sort());
    const probe = JSON.parse(await readFile(path.join(out, "samples", "a", "stages", "probe.json"), "utf8")) as { output: { sizeBytes?: number } };
    expect(probe.output.sizeBytes).toBe((await stat(clip("ANG"))).size); // describes the new file
    expect((await stat(clip("ANG"))).size).not.toBe((await stat(clip("HAP"))).size);

    // An edited rule set (a threshold tuned in the user's file): au-analyze and what reads it, for both samples
    // (not the trainer features, which run after au-analyze but read nothing of it).
    await writeFile(rules, (await readFile(rules, "utf8")).replace(/^ {2}min_frame_fraction: 0\.1\b/m, "  min_frame_fraction: 0.12"));
    expect(await readFile(rules, "utf8")).toMatch(/min_frame_fraction: 0\.12/);
    const edited = await build();
    const AFTER_RULES = ["au-analyze", "coarse", "fine", "peak-frame", "visual-describe"];
    expect(edited.ran).toEqual([...AFTER_RULES.map((s) => `a/${s}`), ...AFTER_RULES.map((s) => `b/${s}`)].sort());

    // Nothing changed: nothing runs.
    const again = await build();
    expect(again.ran).toEqual([]);
    expect(again.stderr).toMatch(/0 samples changed since the last build, 0 new or unfinished, 2 unchanged; stage jobs to run: nothing/);

    // The clips folder moved (the manifest names the new place) and a clip touched: nothing runs; the
    // samples' sample.json name the clips where they are now.
    await rename(path.join(root, "clips"), path.join(root, "moved"));
    await utimes(path.join(root, "moved", "b.flv"), new Date(), new Date());
    await writeFile(csv, (await readFile(csv, "utf8")).replaceAll("clips/", "moved/"));
    const moved = await build();
    expect(moved.ran).toEqual([]);
    expect(moved.stderr).toMatch(/0 samples changed since the last build, 0 new or unfinished, 0 unchanged, 2 unchanged but listed with another path or source \(only their sample\.json is written again\); stage jobs to run: nothing/);
    const record = JSON.parse(await readFile(path.join(out, "samples", "b", "sample.json"), "utf8")) as { sample: { path: string } };
    expect(record.sample.path).toBe(path.join(root, "moved", "b.flv"));
  });
});
