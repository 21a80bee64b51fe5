import { access, lstat, mkdir, readFile, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { appendReview } from "../../src/core/reviews.ts";
import { checkExportDir } from "../../src/export/check.ts";
import { listFiles } from "../../src/export/export-folder.ts";
import { encodeNpyFloat32 } from "../../src/export/npy.ts";
import { runExport } from "../../src/export/run-export.ts";
import { tempDir } from "../helpers/temp.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const clip = (code: string): string => projectPath("data/sample", `1001_DFA_${code}_XX.flv`);
const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/** A run of the given CREMA-D codes, each with a WAV of its own. */
async function fakeRun(root: string, name: string, codes: readonly string[]): Promise<string> {
  const run = path.join(root, name);
  const wav = (id: string): string => path.join(run, "samples", id, "audio.wav");
  await writeFakeRun(run, codes.map((c) => ({ id: `s_${c}`, sample: { path: clip(c) }, stages: completeStages({ label: c === "SAD" ? "sad" : "happy", wavPath: wav(`s_${c}`) }) })));
  for (const c of codes) await writeFile(wav(`s_${c}`), "RIFF....WAVE");
  return run;
}

describe("re-exporting into an export folder", () => {
  it("removes what the previous export wrote and this one did not, keeps files merr did not write, and never follows a symlink", async () => {
    const root = await tempDir();
    const first = await fakeRun(root, "run-a", ["HAP", "SAD"]);
    const second = await fakeRun(root, "run-b", ["HAP"]);
    const out = path.join(root, "export");
    await runExport({ runDir: first, outDir: out, formats: ["emotion-llama", "sharegpt", "csv", "jsonl"], videos: "symlink" });
    // what you may put into an export folder yourself: a feature produced elsewhere, notes
    await mkdir(path.join(out, "HL-UTT"), { recursive: true });
    const feature = encodeNpyFloat32(new Float32Array(1024).fill(1));
    await writeFile(path.join(out, "HL-UTT", "s_HAP.npy"), feature);
    await writeFile(path.join(out, "notes.txt"), "mine");

    const report = await runExport({ runDir: second, outDir: out, formats: ["emotion-llama"], videos: "symlink" });
    // (an Emotion-LLaMA export alone takes no audio: nothing of it references one)
    expect(report.removed).toEqual([
      "audios/s_HAP.wav", "audios/s_SAD.wav", "dataset_info.json", "merr.csv", "merr.jsonl", "sharegpt/merr_sharegpt.json", "videos/s_SAD.mp4",
    ]);
    expect(report.untracked).toEqual(["HL-UTT/s_HAP.npy", "notes.txt"]);
    // the folder holds exactly this export (and the files merr did not write)
    expect([...(await listFiles(out))].sort()).toEqual([...report.written, "export-report.json", ...report.untracked].sort());
    expect(report.written).toEqual([...report.files, "videos/s_HAP.mp4"].sort());
    expect(await exists(path.join(out, "sharegpt"))).toBe(false); // emptied folders go too
    // the removed video and audio were symlinks: their targets, the clip and the run's WAV, are untouched
    expect(await exists(clip("SAD"))).toBe(true);
    expect(await exists(path.join(first, "samples", "s_SAD", "audio.wav"))).toBe(true);
    expect(Buffer.compare(await readFile(path.join(out, "HL-UTT", "s_HAP.npy")), feature)).toBe(0);
    expect(await readlink(path.join(out, "videos", "s_HAP.mp4"))).toBe(clip("HAP"));

    const check = await checkExportDir(out, { allowMissingFeatures: true });
    expect(check.violations).toEqual([]);
    expect(check.warnings.filter((w) => w.kind === "untracked-file").map((w) => w.file)).toEqual(["HL-UTT/s_HAP.npy", "notes.txt"]);
  });

  it("drops a sample rejected in merr view since the last export from every file of the folder", async () => {
    const root = await tempDir();
    const run = await fakeRun(root, "run", ["HAP", "SAD"]);
    const out = path.join(root, "export");
    const formats = ["emotion-llama", "sharegpt", "jsonl"] as const;
    await runExport({ runDir: run, outDir: out, formats, videos: "copy", zeroFaceFeatures: true });
    const inputs = Object.fromEntries(Object.keys(completeStages({ label: "x" })).map((s) => [s, `fp-${s}`]));
    await appendReview(run, { schema: "merr.review/1", sample: "s_SAD", reviewer: "ann", at: "2026-01-01T00:00:00.000Z", inputs, action: "reject" });
    const report = await runExport({ runDir: run, outDir: out, formats, videos: "copy", zeroFaceFeatures: true });
    expect(report.removed).toEqual(["audios/s_SAD.wav", "maeV_399_UTT/s_SAD.npy", "mae_340_UTT/s_SAD.npy", "videos/s_SAD.mp4"]);
    expect([...(await listFiles(out))].filter((f) => f.includes("s_SAD"))).toEqual([]);
    for (const f of report.files) expect(await readFile(path.join(out, f), "utf8"), f).not.toContain("s_SAD");
  });

  it("re-makes a copied video or WAV whose source is another file now, even an older one (another run, same sample names)", async () => {
    const root = await tempDir();
    const first = await fakeRun(root, "run-a", ["HAP"]);
    const second = await fakeRun(root, "run-b", ["HAP"]); // written before the first export: its files are older
    await writeFile(path.join(second, "samples", "s_HAP", "audio.wav"), "RIFF::::WAVE");
    const older = new Date(Date.now() - 3600_000);
    await utimes(path.join(second, "samples", "s_HAP", "audio.wav"), older, older);
    const out = path.join(root, "export");
    await runExport({ runDir: first, outDir: out, formats: ["sharegpt"], videos: "copy" });
    const again = await runExport({ runDir: second, outDir: out, formats: ["sharegpt"], videos: "copy" });
    expect(again.audios).toEqual({ copy: 1 });
    expect(await readFile(path.join(out, "audios", "s_HAP.wav"), "utf8")).toBe("RIFF::::WAVE");
    // the same sources again: left alone
    expect((await runExport({ runDir: second, outDir: out, formats: ["sharegpt"], videos: "copy" })).audios).toEqual({ unchanged: 1 });
  });

  it("refuses a non-empty folder that is not a merr export, naming it; takes a new or empty one", async () => {
    const root = await tempDir();
    const run = await fakeRun(root, "run", ["HAP"]);
    const theirs = path.join(root, "theirs");
    await mkdir(theirs);
    await writeFile(path.join(theirs, "dataset_info.json"), "{}");
    const refused = runExport({ runDir: run, outDir: theirs, formats: ["merr"], videos: "none" });
    await expect(refused).rejects.toMatchObject({ code: "E_USAGE" });
    await expect(refused).rejects.toThrow(`export folder ${theirs} is not empty and is not a merr export folder (it has no export-report.json)`);
    expect([...(await listFiles(theirs))]).toEqual(["dataset_info.json"]); // nothing written, nothing removed

    const empty = path.join(root, "empty");
    await mkdir(empty);
    await writeFile(path.join(empty, ".gitkeep"), ""); // hidden files aside
    await expect(runExport({ runDir: run, outDir: empty, formats: ["merr"], videos: "none" })).resolves.toMatchObject({ complete: true });
    await expect(runExport({ runDir: run, outDir: path.join(root, "new", "deep"), formats: ["merr"], videos: "none" })).resolves.toMatchObject({ coarse: 1 });
  });

  it("finishes an export that was stopped half-way, and removes only safe paths of the previous report", async () => {
    const root = await tempDir();
    const run = await fakeRun(root, "run", ["HAP"]);
    const out = path.join(root, "export");
    const outside = path.join(root, "outside");
    await mkdir(path.join(outside, "sub"), { recursive: true });
    for (const f of ["victim.txt", "sub/victim.txt"]) await writeFile(path.join(outside, f), "not merr's");
    await mkdir(path.join(out, "videos"), { recursive: true });
    await symlink(outside, path.join(out, "linked")); // a folder on the way that leads outside the export
    await writeFile(path.join(out, "merr.csv"), "stale");
    await writeFile(path.join(out, "videos", "s_OLD.mp4"), "old");
    // what an export leaves when it is stopped before it finishes, with paths a hand could have added
    const stub = { complete: false, files: [], written: ["merr.csv", "videos/s_OLD.mp4", "../outside/victim.txt", `${outside}/victim.txt`, "linked/sub/victim.txt", "videos/../../outside/victim.txt"] };
    await writeFile(path.join(out, "export-report.json"), JSON.stringify(stub));
    expect((await checkExportDir(out)).violations.map((v) => v.kind)).toContain("export-incomplete");

    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" });
    expect(report.removed).toEqual(["merr.csv", "videos/s_OLD.mp4"]);
    expect(report.notRemoved).toEqual([{ file: "linked/sub/victim.txt", reason: "linked is a symbolic link: merr removes nothing outside the export folder" }]);
    for (const f of ["victim.txt", "sub/victim.txt"]) expect(await readFile(path.join(outside, f), "utf8")).toBe("not merr's");
    expect((await lstat(path.join(out, "linked"))).isSymbolicLink()).toBe(true);
    expect(report.untracked).toEqual(["linked"]);
  });

  it("keeps media and features of an export made before merr recorded every file, and lists them", async () => {
    const root = await tempDir();
    const run = await fakeRun(root, "run", ["HAP"]);
    const out = path.join(root, "export");
    await runExport({ runDir: run, outDir: out, formats: ["emotion-llama", "sharegpt"], videos: "symlink" });
    const old = JSON.parse(await readFile(path.join(out, "export-report.json"), "utf8"));
    delete old.written; // as merr wrote it before: only the data files are known to be merr's
    old.files.push("sharegpt/dataset_info.json"); // and where merr before 0.2 put LLaMA-Factory's list
    await writeFile(path.join(out, "sharegpt", "dataset_info.json"), "{}");
    await writeFile(path.join(out, "export-report.json"), JSON.stringify(old));

    const report = await runExport({ runDir: run, outDir: out, formats: ["merr"], videos: "none" });
    expect(report.removed).toEqual(["dataset_info.json", "features-manifest.json", "sharegpt/dataset_info.json", "sharegpt/merr_sharegpt.json"]);
    expect(report.untracked).toEqual(["audios/s_HAP.wav", "videos/s_HAP.mp4"]);
  });

  it("check: a data file the latest export did not write fails it (LLaMA-Factory would train on it)", async () => {
    const root = await tempDir();
    const run = await fakeRun(root, "run", ["HAP"]);
    const out = path.join(root, "export");
    await runExport({ runDir: run, outDir: out, formats: ["emotion-llama"], videos: "symlink", zeroFaceFeatures: true });
    await writeFile(path.join(out, "dataset_info.json"), "{}");
    await writeFile(path.join(out, "merr.jsonl"), "{}\n");
    const r = await checkExportDir(out, { allowMissingFeatures: true });
    expect(r.violations.map((v) => [v.kind, v.file])).toEqual([["stale-file", "dataset_info.json"], ["stale-file", "merr.jsonl"]]);
    expect(r.violations[0]!.fix).toMatch(/delete it/);
  });
});
