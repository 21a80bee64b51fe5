import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { transcriptCsvLines } from "../../src/export/csv.ts";
import { sampleStatusOf } from "../../src/runtime/execute.ts";
import { checkExportDir, formatCheckResult, type ViolationKind } from "../../src/export/check.ts";
import { encodeNpyFloat32, npyFeatureProblem, parseNpyHeader } from "../../src/export/npy.ts";
import { runExport } from "../../src/export/run-export.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const clip = (code: string): string => projectPath("data/sample", `1001_DFA_${code}_XX.flv`);

let good: string;

/** A valid export (videos symlinked, HL-UTT present, face features zero-filled) to break one way per test. */
beforeAll(async () => {
  const run = await tempOutDir();
  await writeFakeRun(run, [
    { id: "s_ang", sample: { path: clip("ANG") }, stages: completeStages({ label: "angry", text: "" }) },
    { id: "s_hap", sample: { path: clip("HAP") }, stages: completeStages({ label: "happy", valence: 0.5 }) },
  ]);
  for (const id of ["s_ang", "s_hap"]) {
    await mkdir(path.join(run, "samples", id, "features"), { recursive: true });
    await writeFile(path.join(run, "samples", id, "features", "HL-UTT.npy"), encodeNpyFloat32(new Float32Array(1024).fill(0.5)));
  }
  good = await tempOutDir();
  await runExport({ runDir: run, outDir: good, formats: ["emotion-llama"], videos: "symlink", zeroFaceFeatures: true });
});

async function broken(mutate: (dir: string) => Promise<void>): Promise<ViolationKind[]> {
  const dir = await tempOutDir();
  await cp(good, dir, { recursive: true, verbatimSymlinks: true });
  await mutate(dir);
  const r = await checkExportDir(dir);
  return [...new Set(r.violations.map((v) => v.kind))].sort();
}

const edit = async (file: string, fn: (s: string) => string): Promise<void> => writeFile(file, fn(await readFile(file, "utf8")));

describe("the sentence of a clip without a transcript", () => {
  const entry = (reasons: Array<{ stage: string; code: string }>) => ({ name: "x", text: "", reasons: reasons.map((r) => ({ ...r, message: "" })) });
  it("says no speech only where merr measured none, else no transcript, and --empty-sentence overrides both", () => {
    const lines = (e: ReturnType<typeof entry>, override?: string) => [...transcriptCsvLines([e], override)][1];
    expect(lines(entry([{ stage: "audio-tone", code: "no-speech" }]))).toBe('x,"(no speech)"');
    expect(lines(entry([{ stage: "extract-audio", code: "no-audio" }]))).toBe('x,"(no speech)"');
    // A rejected or never-run recognition: the clip may well hold speech.
    expect(lines(entry([]))).toBe('x,"(no transcript)"');
    expect(lines(entry([{ stage: "transcript", code: "asr-language-unsupported" }]))).toBe('x,"(no transcript)"');
    expect(lines(entry([{ stage: "audio-tone", code: "no-speech" }]), "-")).toBe('x,"-"');
  });
  it("reads a done sample's missing parts too: a clip without audio is done, with no-audio as a note", () => {
    const records = {
      "extract-audio": { stage: "extract-audio", version: 1, status: "skipped" as const, skip: { code: "no-audio", message: "the clip has no audio track" }, fingerprint: "f", provenance: {}, startedAt: "", finishedAt: "", durationMs: 0, attempt: 1 },
    };
    const status = sampleStatusOf(["extract-audio"], records, { "extract-audio": ["no-audio"] });
    expect(status).toMatchObject({ status: "done", reasons: [] });
    expect([...transcriptCsvLines([{ name: "x", text: "", reasons: status.reasons, ...(status.notes ? { notes: status.notes } : {}) }])][1]).toBe('x,"(no speech)"');
  });
});

describe("merr export --check", () => {
  it("passes a fresh export, with an empty transcript written as a visible marker", async () => {
    const r = await checkExportDir(good);
    expect(r.violations).toEqual([]);
    // --zero-face-features wrote placeholders for both face folders: loadable, but reported
    expect(r.warnings.map((w) => [w.kind, w.file]).sort()).toEqual([
      ["npy-zeros", "maeV_399_UTT/s_ang.npy"], ["npy-zeros", "maeV_399_UTT/s_hap.npy"],
      ["npy-zeros", "mae_340_UTT/s_ang.npy"], ["npy-zeros", "mae_340_UTT/s_hap.npy"],
    ]);
    expect(r.lists).toEqual({ "MERR_coarse_grained.txt": 2, "MERR_fine_grained.txt": 2 });
    expect(await readFile(path.join(good, "transcription_en_all.csv"), "utf8")).toContain('s_ang,"(no transcript)"');
    expect(formatCheckResult(r)).toMatch(/^OK: /m);
  });

  it.each<[ViolationKind, (dir: string) => Promise<void>, ViolationKind[]?]>([
    ["missing-file", (d) => rm(path.join(d, "MERR_coarse_grained.json"))],
    ["parse-error", (d) => edit(path.join(d, "MERR_fine_grained.json"), (s) => s.slice(0, 40))],
    ["list-format", (d) => edit(path.join(d, "MERR_coarse_grained.txt"), (s) => s.replace("angry\n", "angry \n"))],
    ["list-columns", (d) => edit(path.join(d, "MERR_fine_grained.txt"), (s) => s.replace(/ -10\n/, "\n"))],
    // a name with an extension also has no JSON entry, CSV row, video or feature under that name
    ["bad-name", (d) => edit(path.join(d, "MERR_coarse_grained.txt"), (s) => `${s}s_x.mp4 3 happy\n`), ["bad-name", "csv-missing-row", "json-missing-entry", "npy-missing", "video-missing"]],
    ["duplicate-name", (d) => edit(path.join(d, "MERR_coarse_grained.txt"), (s) => `${s}${s.split("\n")[0]}\n`)],
    ["label", (d) => edit(path.join(d, "MERR_coarse_grained.txt"), (s) => s.replace("happy", "disgust"))],
    ["json-missing-entry", (d) => edit(path.join(d, "MERR_coarse_grained.json"), (s) => JSON.stringify({ s_hap: JSON.parse(s).s_hap }))],
    ["json-entry-shape", (d) => edit(path.join(d, "MERR_fine_grained.json"), (s) => s.replace('"peak_index": "3"', '"peak_index": 3'))],
    ["csv-header", (d) => edit(path.join(d, "transcription_en_all.csv"), (s) => s.replace("name,sentence", "id,text"))],
    ["csv-missing-row", (d) => edit(path.join(d, "transcription_en_all.csv"), (s) => s.split("\n").filter((l) => !l.startsWith("s_hap")).join("\n"))],
    ["csv-nan-sentence", (d) => edit(path.join(d, "transcription_en_all.csv"), (s) => s.replace('"(no transcript)"', '""'))],
    ["video-missing", (d) => rm(path.join(d, "videos", "s_hap.mp4"))],
    ["npy-invalid", (d) => writeFile(path.join(d, "HL-UTT", "s_hap.npy"), encodeNpyFloat32(new Float32Array(2048), [2, 1024]))],
  ])("catches %s", async (kind, mutate, expected) => {
    expect(await broken(mutate)).toEqual(expected ?? [kind]);
  });

  it("prints five errors of a kind per folder in full and counts the rest, so a large export stays readable", () => {
    const missing = (folder: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ kind: "npy-missing" as const, file: `${folder}/s_${i}.npy`, name: `s_${i}`, message: `s_${i}: no ${folder} feature`, fix: `produce ${folder}/s_${i}.npy` }));
    // files at the top are grouped one by one: the fine list's one error is not hidden behind the coarse list's
    const label = (file: string, n: number) => Array.from({ length: n }, (_, i) => ({ kind: "label" as const, file, line: i + 1, message: "label x", fix: "use a MERR label" }));
    const violations = [...missing("HL-UTT", 3000), ...label("MERR_coarse_grained.txt", 7), ...missing("mae_340_UTT", 2), ...label("MERR_fine_grained.txt", 1)];
    const text = formatCheckResult({ dir: "/x", violations, warnings: [], lists: {} });
    expect(text.match(/^error HL-UTT\/s_\d+\.npy/gm)).toHaveLength(5);
    expect(text.match(/^error mae_340_UTT\/s_\d+\.npy/gm)).toHaveLength(2);
    expect(text.match(/^error MERR_coarse_grained\.txt:\d+/gm)).toHaveLength(5);
    expect(text.match(/^error MERR_fine_grained\.txt:1: \[label\]/gm)).toHaveLength(1);
    // each group's count comes right after its five
    expect(text).toMatch(/HL-UTT\/s_4\.npy[^\n]*\n[^\n]*fix[^\n]*\nerror HL-UTT: \[npy-missing\] 2995 more of this kind \(merr export --check --json lists every one with its fix\)\n/);
    expect(text).toMatch(/^error MERR_coarse_grained\.txt: \[label\] 2 more of this kind/m);
    expect(text).not.toMatch(/mae_340_UTT: \[npy-missing\] \d+ more|MERR_fine_grained\.txt: \[label\] \d+ more/);
    expect(text).toMatch(/^FAILED: \/x \(no lists\); 3010 violation\(s\)/m);
    expect(text.split("\n").length).toBeLessThan(40);
  });

  it("fails on a missing feature (the trainer's np.load fails), or warns with allowMissingFeatures", async () => {
    const dir = await tempOutDir();
    await cp(good, dir, { recursive: true, verbatimSymlinks: true });
    await rm(path.join(dir, "HL-UTT", "s_ang.npy"));
    const strict = await checkExportDir(dir);
    expect(strict.violations.map((v) => [v.kind, v.file])).toEqual([["npy-missing", "HL-UTT/s_ang.npy"]]);
    expect(formatCheckResult(strict)).toMatch(/^FAILED: /m);
    expect(formatCheckResult(strict)).toMatch(/fix: produce HL-UTT\/s_ang.npy .*--allow-missing-features/);
    const allowed = await checkExportDir(dir, { allowMissingFeatures: true });
    expect(allowed.violations).toEqual([]);
    expect(allowed.warnings.filter((w) => w.kind === "npy-missing").map((w) => w.name)).toEqual(["s_ang"]);
    expect(formatCheckResult(allowed)).toMatch(/^warning HL-UTT: \[npy-missing\] 1 x missing files/m);
    expect(formatCheckResult(allowed)).toMatch(/^OK: /m);
  });

  it("fails when a whole feature folder is missing", async () => {
    expect(await broken((d) => rm(path.join(d, "mae_340_UTT"), { recursive: true }))).toEqual(["npy-missing"]);
  });

  it("reports zero-filled vectors in every folder alike, HL-UTT included", async () => {
    const dir = await tempOutDir();
    await cp(good, dir, { recursive: true, verbatimSymlinks: true });
    await writeFile(path.join(dir, "HL-UTT", "s_hap.npy"), encodeNpyFloat32(new Float32Array(1024)));
    await writeFile(path.join(dir, "mae_340_UTT", "s_ang.npy"), encodeNpyFloat32(new Float32Array(1024).fill(0.25)));
    const r = await checkExportDir(dir);
    expect(r.violations).toEqual([]);
    const zeros = r.warnings.filter((w) => w.kind === "npy-zeros").map((w) => w.file).sort();
    expect(zeros).toEqual(["HL-UTT/s_hap.npy", "maeV_399_UTT/s_ang.npy", "maeV_399_UTT/s_hap.npy", "mae_340_UTT/s_hap.npy"]);
    const text = formatCheckResult(r);
    expect(text).toMatch(/^warning HL-UTT: \[npy-zeros\] 1 x zero-filled/m);
    expect(text).toMatch(/^warning maeV_399_UTT: \[npy-zeros\] 2 x zero-filled/m);
    expect(text).toMatch(/^warning mae_340_UTT: \[npy-zeros\] 1 x zero-filled/m);
  });

  it("a double space shifts the loader's label column: both the format and the label are reported", async () => {
    expect(await broken((d) => edit(path.join(d, "MERR_coarse_grained.txt"), (s) => s.replace("s_ang ", "s_ang  ")))).toEqual(["label", "list-format"]);
  });

  it("every violation comes with a fix", async () => {
    const dir = await tempOutDir();
    await cp(good, dir, { recursive: true, verbatimSymlinks: true });
    await edit(path.join(dir, "MERR_fine_grained.txt"), (s) => s.replace(/ /g, "\t"));
    const r = await checkExportDir(dir);
    expect(r.violations.length).toBeGreaterThan(0);
    for (const v of r.violations) expect(v.fix.length).toBeGreaterThan(5);
  });
});

describe("npy headers", () => {
  it("round-trips a float32 vector and rejects per-frame arrays and other dtypes", () => {
    const bytes = encodeNpyFloat32(new Float32Array(1024));
    expect((10 + (bytes[8]! | (bytes[9]! << 8))) % 64).toBe(0);
    const h = parseNpyHeader(bytes);
    expect(h).toMatchObject({ version: "1.0", descr: "<f4", fortranOrder: false, shape: [1024] });
    expect(npyFeatureProblem(h, bytes.length)).toBeUndefined();
    expect(npyFeatureProblem(h, bytes.length - 4)).toMatch(/truncated/);
    const perFrame = parseNpyHeader(encodeNpyFloat32(new Float32Array(3 * 1024), [3, 1024]));
    expect(npyFeatureProblem(perFrame, 1e6)).toMatch(/per-frame/);
    // numpy's own version 2.0 header of a float64 vector
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1024,), }".padEnd(116, " ") + "\n";
    const v2 = new Uint8Array(12 + dict.length);
    v2.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(v2.buffer).setUint32(8, dict.length, true);
    v2.set(new TextEncoder().encode(dict), 12);
    const h2 = parseNpyHeader(v2);
    expect(h2.version).toBe("2.0");
    expect(npyFeatureProblem(h2, 1e6)).toMatch(/dtype <f8/);
    expect(() => parseNpyHeader(new TextEncoder().encode("PK\u0003\u0004 not npy"))).toThrow(/magic/);
  });
});
