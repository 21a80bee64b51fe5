import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerExportCommands } from "../../src/cli/commands/export.ts";
import { MerrError } from "../../src/core/errors.ts";
import { projectPath } from "../../src/core/paths.ts";
import { writeListing } from "../../src/core/run-samples.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "../unit/export-fixtures.ts";

/** A labels CSV (`name,label` rows) beside a run, for merr eval. */
async function labelsCsv(run: string, rows: string[]): Promise<string> {
  const file = path.join(run, "labels-for-eval.csv");
  await writeFile(file, `name,label\n${rows.join("\n")}\n`);
  return file;
}

async function merr(...argv: string[]): Promise<{ out: string; error?: MerrError }> {
  let out = "";
  const program = new Command("merr").exitOverride();
  registerExportCommands(program, { stdout: (t) => void (out += t) });
  try {
    await program.parseAsync(argv, { from: "user" });
    return { out };
  } catch (error) {
    if (error instanceof MerrError) return { out, error };
    throw error;
  }
}

const clip = (code: string): string => projectPath("data/sample", `1001_DFA_${code}_XX.flv`);

describe("merr export / eval commands", () => {
  it("exports several formats, checks the result, and fails the check with exit code 1 once broken", async () => {
    const run = await tempOutDir();
    const wav = (id: string): string => path.join(run, "samples", id, "audio.wav");
    await writeFakeRun(run, [
      { id: "1001_DFA_HAP_XX", sample: { path: clip("HAP") }, stages: completeStages({ label: "happy", wavPath: wav("1001_DFA_HAP_XX") }) },
      { id: "1001_DFA_DIS_XX", sample: { path: clip("DIS") }, stages: completeStages({ label: "disgust", wavPath: wav("1001_DFA_DIS_XX") }) },
    ]);
    for (const id of ["1001_DFA_HAP_XX", "1001_DFA_DIS_XX"]) await writeFile(wav(id), "RIFF....WAVE");
    const out = await tempOutDir();
    const exported = await merr("export", "--run", run, "--out", out, "--format", "emotion-llama,sharegpt,csv", "--videos", "symlink");
    expect(exported.error).toBeUndefined();
    expect(exported.out).toMatch(/samples: 2 read, 2 kept, coarse 1, fine 1/);
    expect(exported.out).toMatch(/dropped \{disgust=2\}/);

    // the fake run has no feature files: the trainer cannot load its samples
    const strict = await merr("export", "--check", out);
    expect(strict.error?.code).toBe("E_CHECK_FAILED");
    expect(strict.error?.exitCode).toBe(1);
    expect(strict.out).toMatch(/error HL-UTT\/1001_DFA_HAP_XX.npy: \[npy-missing\]/);
    expect((await merr("export", "--check", out, "--require-features")).error?.code).toBe("E_CHECK_FAILED"); // the old flag: now the default
    const ok = await merr("export", "--check", out, "--allow-missing-features");
    expect(ok.error).toBeUndefined();
    expect(ok.out).toMatch(/^OK: /m);
    expect(ok.out).toMatch(/^warning HL-UTT: \[npy-missing\] 1 x/m);

    // A folder that is not there is one usage error, not four missing-file violations.
    const missing = await merr("export", "--check", path.join(out, "nope"));
    expect(missing.error?.message).toBe(`[E_USAGE] --check ${path.join(out, "nope")}: no such folder; give the folder merr export wrote (its --out)`);
    expect(missing.out).toBe("");
    expect((await merr("export", "--check", path.join(out, "MERR_fine_grained.txt"))).error?.message).toMatch(/MERR_fine_grained\.txt: is a file, not a folder/);

    await writeFile(path.join(out, "MERR_fine_grained.txt"), "1001_DFA_HAP_XX 70 disgust -10\n");
    const bad = await merr("export", "--check", out, "--allow-missing-features");
    expect(bad.error?.code).toBe("E_CHECK_FAILED");
    expect(bad.error?.exitCode).toBe(1);
    expect(bad.out).toMatch(/error MERR_fine_grained.txt:1: \[label\] label "disgust"/);
    expect(bad.out).toMatch(/fix: map or drop it/);
  });

  it("names a sample whose WAV is gone from the run, with the fix, and the check fails on it", async () => {
    const run = await tempOutDir();
    const id = "1001_DFA_HAP_XX";
    const wav = path.join(run, "samples", id, "audio.wav");
    await writeFakeRun(run, [{ id, sample: { path: clip("HAP") }, stages: completeStages({ label: "happy", wavPath: wav }) }]);
    await writeFile(wav, "RIFF....WAVE");
    const out = await tempOutDir();
    const exportArgs = ["export", "--run", run, "--out", out, "--format", "emotion-llama,sharegpt", "--videos", "symlink"];
    expect((await merr(...exportArgs)).error).toBeUndefined();
    expect((await merr("export", "--check", out, "--allow-missing-features")).error).toBeUndefined();

    await rm(wav); // the symlinked audio of the export now points nowhere
    const dangling = await merr("export", "--check", out, "--allow-missing-features");
    expect(dangling.error?.code).toBe("E_CHECK_FAILED");
    expect(dangling.out).toContain(`error sharegpt/merr_sharegpt.json: [media-missing] ${id}: audios/${id}.wav does not exist (a symlink whose target is gone)`);

    // exporting again names the sample and what to do, and the check still fails on it
    const again = await merr(...exportArgs);
    expect(again.error).toBeUndefined();
    expect(again.out).toContain("media missing for 1 sample(s)");
    expect(again.out).toContain(`${id} audio (audio-missing; listed without it in sharegpt/merr_sharegpt.json): the WAV extract-audio made is gone: ${wav}`);
    expect(again.out).toContain(`fix: run merr build on ${run} again with the same options (it makes the missing audio.wav again`);
    const check = await merr("export", "--check", out, "--allow-missing-features");
    expect(check.error?.code).toBe("E_CHECK_FAILED");
    expect(check.out).toContain(`error sharegpt/merr_sharegpt.json: [media-missing] ${id}: exported without its audio`);
    expect(check.out).toContain(`fix: run merr build on ${run} again`);
  });

  it("maps labels on request and reports usage errors with E_USAGE", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [{ id: "d1", stages: completeStages({ label: "disgust" }) }]);
    const out = await tempOutDir();
    const r = await merr("export", "--run", run, "--out", out, "--format", "merr", "--map-label", "disgust=angry", "--json");
    expect(JSON.parse(r.out).labels.mapped).toEqual({ "disgust->angry": 2 });
    expect(await readFile(path.join(out, "MERR_coarse_grained.txt"), "utf8")).toBe("d1 70 angry\n");
    expect((await merr("export", "--run", run, "--out", out, "--format", "parquet")).error?.code).toBe("E_USAGE");
    expect((await merr("export", "--out", out)).error?.code).toBe("E_USAGE");
    expect((await merr("export", "--run", out, "--out", out, "--format", "merr")).error?.message).toMatch(/not a run directory/);
    // the run folder is not empty and is not an export folder: exporting into it is refused, naming it
    const into = await merr("export", "--run", run, "--out", run, "--format", "merr");
    expect(into.error?.code).toBe("E_USAGE");
    expect(into.error?.message).toContain(`export folder ${run} is not empty and is not a merr export folder`);
    await expect(readFile(path.join(run, "MERR_coarse_grained.txt"))).rejects.toThrow(/ENOENT/);
    // A file where the export folder should be (it was E_INTERNAL ENOTDIR), for export and eval.
    const file = path.join(out, "MERR_coarse_grained.txt");
    expect((await merr("export", "--run", run, "--out", file)).error?.message).toBe(`[E_USAGE] --out ${file} is a file, not a folder; give a folder (merr creates it when it is missing)`);
    expect((await merr("eval", "--run", run, "--out", path.join(file, "eval"))).error?.message).toBe(
      `[E_USAGE] --out ${path.join(file, "eval")}: part of this path is a file, not a folder; give a folder (merr creates it when it is missing)`,
    );
  });

  it("exports a sample whose id is in another script under that name, and the check accepts it", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [{ id: "名前", sample: { path: clip("ANG") }, stages: completeStages({ label: "angry" }) }]);
    const out = await tempOutDir();
    expect((await merr("export", "--run", run, "--out", out, "--videos", "symlink")).error).toBeUndefined();
    expect(await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).toMatch(/^名前 \d+ angry /);
    const check = await merr("export", "--check", out, "--allow-missing-features");
    expect(check.error).toBeUndefined();
    expect(check.out).not.toMatch(/bad-name/);
  });

  it("leaves out the samples the source no longer lists, naming them with the fix, and keeps them on request", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "clip001", sample: { path: clip("HAP") }, stages: completeStages({ label: "happy" }) },
      { id: "clip001_1a63b1", sample: { path: clip("HAP") }, stages: completeStages({ label: "happy" }) },
      { id: "clip002", sample: { path: clip("ANG") }, stages: completeStages({ label: "angry" }) },
    ]);
    // The last build listed two clips: clip001_1a63b1 is an old copy of clip001 (made before ids were kept).
    await writeListing(run, { source: "folder", input: "/clips", listedAt: "2025-01-01T00:00:00.000Z", samples: [{ id: "clip001", path: clip("HAP") }, { id: "clip002", path: clip("ANG") }] });
    const out = await tempOutDir();
    const r = await merr("export", "--run", run, "--out", out, "--videos", "symlink");
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/samples: 3 read, 2 kept, coarse 2, fine 2/);
    expect(r.out).toMatch(/excluded samples \(failed\/filtered\/reviewed\/unlisted\): \{unlisted=1\}/);
    expect(r.out).toContain(
      `warning: 1 sample in ${path.join(run, "samples")} is not among the 2 clips --source folder --input /clips listed at the last build (a clip renamed, moved or deleted since, or an old copy of a clip listed under another id): ` +
        `clip001_1a63b1 (${clip("HAP")}, listed now as clip001); the export left it out (--keep-unlisted exports it). Remove it (rm -r ${path.join(run, "samples", "clip001_1a63b1")}), or build again from the source that lists it`,
    );
    expect((await readFile(path.join(out, "MERR_fine_grained.txt"), "utf8")).split("\n").filter(Boolean).map((l) => l.split(" ")[0])).toEqual(["clip001", "clip002"]);

    const kept = await merr("export", "--run", run, "--out", out, "--videos", "symlink", "--keep-unlisted", "--json");
    const report = JSON.parse(kept.out) as { kept: number; unlisted: { ids: string[]; kept: boolean } };
    expect(report.kept).toBe(3);
    expect(report.unlisted).toMatchObject({ ids: ["clip001_1a63b1"], kept: true });

    // eval scores the listed samples only (the old copy would count the clip twice), and says so
    const scored = await merr("eval", "--run", run, "--labels", await labelsCsv(run, ["clip001,happy", "clip001_1a63b1,happy", "clip002,angry"]), "--json");
    const ev = JSON.parse(scored.out) as { samples: number; evaluated: number; warnings: string[] };
    expect([ev.samples, ev.evaluated]).toEqual([2, 2]);
    expect(ev.warnings.join("\n")).toMatch(/1 sample in .* is not among the 2 clips .*clip001_1a63b1 .*eval left it out/);
  });

  it("evaluates a run against the CREMA-D labels file", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [
      { id: "1001_DFA_ANG_XX", stages: completeStages({ label: "angry" }) },
      { id: "1001_DFA_SAD_XX", stages: completeStages({ label: "sad", fineLabel: "worried" }) },
      { id: "1001_DFA_DIS_XX", stages: completeStages({ label: "angry" }) },
    ]);
    const r = await merr("eval", "--run", run, "--labels", projectPath("data/sample/labels.csv"));
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/samples 3, evaluated 2, without ground truth 0/);
    expect(r.out).toMatch(/left out: disgust=1/);
    expect(r.out).toMatch(/final {6}\| {3}50\.0/);
    expect(JSON.parse(await readFile(path.join(run, "eval", "eval.json"), "utf8")).final.war).toBe(0.5);

    // Without ground truth: the counts and the reason, no metrics, exit 65 (it printed 0.0 and exited 0).
    const none = await merr("eval", "--run", run, "--out", await tempOutDir());
    expect(none.error?.code).toBe("E_INPUT_INVALID");
    expect(none.error?.exitCode).toBe(65);
    expect(none.error?.message).toMatch(/no sample of .* has a ground-truth label, so there is nothing to score: the samples carry no label/);
    expect(none.out).toMatch(/samples 3, evaluated 0, without ground truth 3/);
    expect(none.out).not.toMatch(/WAR/);
  });
});
