import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { checkExportDir } from "../../src/export/check.ts";
import { runExport } from "../../src/export/run-export.ts";
import type { ShareGptRecord } from "../../src/export/sharegpt.ts";
import { tempDir } from "../helpers/temp.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const clip = (code: string): string => projectPath("data/sample", `1001_DFA_${code}_XX.flv`);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("a moved export", () => {
  it("still resolves every file each format references, with the run folder gone", async () => {
    const root = await tempDir();
    const run = path.join(root, "run");
    const wav = (id: string): string => path.join(run, "samples", id, "audio.wav");
    await writeFakeRun(run, [
      { id: "s_hap", sample: { path: clip("HAP") }, stages: completeStages({ label: "happy", wavPath: wav("s_hap") }) },
      { id: "s_sad", sample: { path: clip("SAD") }, stages: completeStages({ label: "sad", wavPath: wav("s_sad") }) },
      { id: "s_dis", sample: { path: clip("DIS") }, stages: completeStages({ label: "disgust", wavPath: wav("s_dis") }) },
    ]);
    for (const id of ["s_hap", "s_sad", "s_dis"]) await writeFile(wav(id), "RIFF....WAVE");
    const first = path.join(root, "export");
    await runExport({ runDir: run, outDir: first, formats: ["emotion-llama", "sharegpt", "jsonl", "csv"], videos: "copy" });

    const moved = path.join(root, "elsewhere", "merr-data");
    await mkdir(path.dirname(moved), { recursive: true });
    await rename(first, moved);
    await rm(run, { recursive: true }); // nothing may point back into the run

    const referenced: string[] = [];
    // ShareGPT: LLaMA-Factory's dataset_dir is the export root (dataset_info.json), media resolve against it
    const info = JSON.parse(await readFile(path.join(moved, "dataset_info.json"), "utf8"));
    const records = JSON.parse(await readFile(path.join(moved, info.merr.file_name), "utf8")) as ShareGptRecord[];
    expect(records.length).toBe(6);
    for (const r of records) {
      expect(r.videos).toHaveLength(1);
      expect(r.audios).toHaveLength(1);
      referenced.push(...r.videos, ...r.audios);
    }
    // JSONL and CSV: every kept sample (s_dis too, out of the MERR sets)
    const jsonl = (await readFile(path.join(moved, "merr.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(jsonl.map((r) => r.name)).toEqual(["s_dis", "s_hap", "s_sad"]);
    for (const r of jsonl) referenced.push(r.video, r.audio, r.sample.path);
    const rows = parseCsv(await readFile(path.join(moved, "merr.csv"), "utf8"), { columns: true }) as Array<Record<string, string>>;
    for (const r of rows) referenced.push(r.path!, r.wav_path!);
    expect(referenced.length).toBe(6 * 2 + 3 * 3 + 3 * 2);
    for (const ref of referenced) {
      expect(path.isAbsolute(ref), ref).toBe(false);
      await expect(access(path.join(moved, ref)), ref).resolves.toBeUndefined();
    }
    // Emotion-LLaMA: the loader contract holds in the new place (features are made elsewhere)
    expect((await checkExportDir(moved, { allowMissingFeatures: true })).violations).toEqual([]);
    // and no data file names the old places (export-report.json records where the export came from)
    for (const file of await filesUnder(moved)) {
      if (/\.(mp4|wav|npy)$/.test(file) || path.basename(file) === "export-report.json") continue;
      const text = await readFile(file, "utf8");
      expect(text.includes(run), `${file} names the run folder`).toBe(false);
      expect(text.includes(first), `${file} names the old export folder`).toBe(false);
    }
  });
});
