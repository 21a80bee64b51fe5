import { access, lstat, readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { CheckResult } from "./check.ts";
import { listFiles, readExportLedger } from "./export-folder.ts";
import { ALL_DATA_FILES, EXPORT_LAYOUT, SHAREGPT_PATH } from "./layout.ts";

const present = (file: string): Promise<boolean> => lstat(file).then(() => true, () => false);
/** Follows symlinks: a symlinked video whose target is gone does not exist. */
const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/**
 * Compares the folder with its `export-report.json` (nothing to compare without one: a folder merr did not
 * write is checked against the loader contract only):
 *
 * - an unfinished report (`complete: false`): an export was stopped half-way, violation `export-incomplete`;
 * - a data file of any format (what a trainer reads: `dataset_info.json`, `merr.jsonl`...) that the latest
 *   export did not write: violation `stale-file`, since LLaMA-Factory or a JSONL reader would train on it;
 * - a sample the export wrote without the video or WAV the run names for it (the report's `missingMedia`, for
 *   the data files that list it): violation `media-missing`, since it trains without that modality;
 * - any other file the report does not list (a video, a feature, your notes): warning `untracked-file`.
 *   Features produced elsewhere and put here are a documented way to complete an export, and an unlisted
 *   video or feature is read by no trainer unless a data file names it, so these do not fail the check.
 */
export async function checkExportFolder(dir: string, out: CheckResult): Promise<void> {
  await checkMediaReferences(dir, out);
  const ledger = await readExportLedger(dir);
  if (ledger === undefined) return;
  const report = EXPORT_LAYOUT.report;
  if ("problem" in ledger) {
    out.warnings.push({ kind: "parse-error", file: report, message: `${ledger.problem}: stale files cannot be told`, fix: "export again into a new folder" });
    return;
  }
  if (ledger.complete === false) {
    out.violations.push({
      kind: "export-incomplete",
      file: report,
      message: "an export into this folder did not finish (stopped half-way?): its files may be partial, or from two exports",
      fix: "run the same merr export again",
    });
    return;
  }
  const files = new Set(ledger.files);
  for (const file of ALL_DATA_FILES) {
    if (files.has(file) || !(await present(path.join(dir, file)))) continue;
    out.violations.push({
      kind: "stale-file",
      file,
      message: `${file} is not part of the latest export (${report} does not list it): a trainer reading it gets an earlier export's data, or data merr did not write`,
      fix: "delete it; merr export removes what its previous export wrote from then on",
    });
  }
  for (const m of ledger.missingMedia ?? []) {
    const carriers = m.in.filter((f) => files.has(f));
    if (carriers.length === 0) continue;
    out.violations.push({
      kind: "media-missing",
      file: carriers[0]!,
      name: m.name,
      message: `${m.name}: exported without its ${m.media} (${m.message}); listed without it in ${carriers.join(", ")}`,
      fix: m.fix,
    });
  }
  if (ledger.written === undefined) return; // a report of merr before it recorded every file: only data files are known
  const written = new Set(ledger.written);
  const dataFiles = new Set(ALL_DATA_FILES);
  for (const file of await listFiles(dir)) {
    if (written.has(file) || file === report || dataFiles.has(file)) continue;
    out.warnings.push({ kind: "untracked-file", file, message: `${file} was not written by the latest export`, fix: "delete it unless you put it there" });
  }
}

type Row = Record<string, unknown>;

/** Where each data file names media, relative to the export folder: (sample, path) pairs. */
const MEDIA_REFERENCES: ReadonlyArray<{ file: string; read: (text: string) => Array<[string, string]> }> = [
  {
    file: SHAREGPT_PATH,
    read: (text) =>
      (JSON.parse(text) as Row[]).flatMap((r) => [...asList(r.videos), ...asList(r.audios)].map((m): [string, string] => [String(r.id ?? "?").replace(/\.[^.]*$/, ""), m])),
  },
  {
    file: EXPORT_LAYOUT.jsonl,
    read: (text) =>
      text.split("\n").filter((l) => l.trim() !== "").flatMap((l) => {
        const r = JSON.parse(l) as Row;
        return [r.video, r.audio].filter((m): m is string => typeof m === "string" && m !== "").map((m): [string, string] => [String(r.name), m]);
      }),
  },
  {
    file: EXPORT_LAYOUT.csv,
    read: (text) =>
      (parseCsv(text, { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>).flatMap((r) =>
        [r.path, r.wav_path].filter((m): m is string => !!m).map((m): [string, string] => [r.name ?? "?", m]),
      ),
  },
];

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * Every video and audio the ShareGPT, JSONL and CSV files name must exist in the folder: a sample whose file
 * is gone (deleted, or a symlink whose target was deleted since the export) fails in the trainer. Violation
 * `media-missing`, once per file and path.
 */
async function checkMediaReferences(dir: string, out: CheckResult): Promise<void> {
  for (const { file, read } of MEDIA_REFERENCES) {
    const full = path.join(dir, file);
    if (!(await present(full))) continue;
    let refs: Array<[string, string]>;
    try {
      refs = read(await readFile(full, "utf8"));
    } catch (error) {
      out.violations.push({ kind: "parse-error", file, message: `cannot be read: ${(error as Error).message}`, fix: "export again" });
      continue;
    }
    const seen = new Set<string>();
    for (const [name, ref] of refs) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      if (await exists(path.resolve(dir, ref))) continue;
      out.violations.push({
        kind: "media-missing",
        file,
        name,
        message: `${name}: ${ref} does not exist${(await present(path.resolve(dir, ref))) ? " (a symlink whose target is gone)" : ""}`,
        fix: "export again (merr export names the cause of media it cannot put in the folder), or put the file back",
      });
    }
  }
}
