import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { isMerrLabel, MERR_LABELS } from "../core/labels.ts";
import { FEATURE_FOLDERS } from "../core/merr-entry.ts";
import { PANDAS_NA_TOKENS } from "./csv.ts";
import { COARSE_KEYS, FINE_KEYS, MERR_FILES } from "./merr-format.ts";
import { isZeroNpy, npyFeatureProblem, readNpyHeader } from "./npy.ts";
import { checkListFile, type ListLine } from "./check-list.ts";
import { checkExportFolder } from "./check-folder.ts";

export type ViolationKind =
  | "missing-file" | "parse-error" | "list-format" | "list-columns" | "bad-name" | "duplicate-name" | "label"
  | "json-missing-entry" | "json-entry-shape" | "csv-header" | "csv-missing-row" | "csv-nan-sentence"
  | "video-missing" | "npy-invalid" | "npy-missing" | "npy-zeros"
  | "export-incomplete" | "stale-file" | "untracked-file" | "media-missing";

export interface Violation {
  kind: ViolationKind;
  file: string;
  line?: number;
  name?: string;
  message: string;
  fix: string;
}

export interface CheckOptions {
  /** Where `<name>.mp4` (or `.avi`) must be. @defaultValue `<dir>/videos` */
  videoRoot?: string;
  /**
   * Missing feature files are warnings instead of violations. The trainer's dataset class `np.load`s
   * all three features of every listed sample, so an export without them cannot train.
   * @defaultValue false
   */
  allowMissingFeatures?: boolean;
}

export interface CheckResult {
  dir: string;
  violations: Violation[];
  warnings: Violation[];
  lists: Record<string, number>;
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

async function loadJson(dir: string, file: string, out: CheckResult): Promise<Record<string, unknown> | undefined> {
  const full = path.join(dir, file);
  if (!(await exists(full))) {
    out.violations.push({ kind: "missing-file", file, message: "the trainer loads this file at start-up whatever the task", fix: `run merr export --format emotion-llama --out ${dir}` });
    return undefined;
  }
  try {
    const v = JSON.parse(await readFile(full, "utf8")) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    out.violations.push({ kind: "parse-error", file, message: "not a JSON object keyed by sample name", fix: "re-export the directory" });
  } catch (error) {
    out.violations.push({ kind: "parse-error", file, message: `invalid JSON: ${(error as Error).message}`, fix: "re-export the directory (a partial write?)" });
  }
  return undefined;
}

/** Problems of one annotation entry: exact keys in order, string/list types, label in the set. */
export function entryShapeProblems(value: unknown, keys: readonly string[]): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["entry is not an object"];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  const got = Object.keys(o);
  if (got.join(",") !== keys.join(",")) problems.push(`keys are [${got.join(", ")}], expected exactly [${keys.join(", ")}] in that order`);
  for (const k of ["AU_list", "visual_prior_list", "peak_AU_list"]) {
    const v = o[k];
    if (k in o && !(Array.isArray(v) && v.every((x) => typeof x === "string"))) problems.push(`${k} must be a list of strings`);
  }
  for (const k of ["audio_prior_list", "peak_index", "pseu_emotion", "text", keys[keys.length - 1]!]) {
    if (k in o && typeof o[k] !== "string") problems.push(`${k} must be a string, got ${Array.isArray(o[k]) ? "list" : typeof o[k]}`);
  }
  if (typeof o.peak_index === "string" && !/^\d+$/.test(o.peak_index)) problems.push(`peak_index "${o.peak_index}" is not a frame index`);
  if (typeof o.pseu_emotion === "string" && !isMerrLabel(o.pseu_emotion)) problems.push(`pseu_emotion "${o.pseu_emotion}" is not in the label set`);
  if (Array.isArray(o.AU_list) && Array.isArray(o.visual_prior_list) && o.AU_list.length !== o.visual_prior_list.length) {
    problems.push(`visual_prior_list has ${o.visual_prior_list.length} descriptions for ${o.AU_list.length} AUs`);
  }
  return problems;
}

async function loadCsv(dir: string, out: CheckResult): Promise<Map<string, string> | undefined> {
  const file = MERR_FILES.transcripts;
  const full = path.join(dir, file);
  if (!(await exists(full))) {
    out.violations.push({ kind: "missing-file", file, message: "the trainer loads the transcripts at start-up", fix: `run merr export --format emotion-llama --out ${dir}` });
    return undefined;
  }
  let rows: string[][];
  try {
    rows = parseCsv(await readFile(full, "utf8"), { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (error) {
    out.violations.push({ kind: "parse-error", file, message: `invalid CSV: ${(error as Error).message}`, fix: "quote fields holding commas, quotes or newlines" });
    return undefined;
  }
  const [header, ...body] = rows;
  if (!header || header.length !== 2 || header[0] !== "name" || header[1] !== "sentence") {
    out.violations.push({ kind: "csv-header", file, line: 1, message: `header is "${header?.join(",") ?? ""}", expected "name,sentence"`, fix: "make the first row exactly name,sentence" });
  }
  const map = new Map<string, string>();
  for (const r of body) map.set(r[0] ?? "", r[1] ?? "");
  return map;
}

/**
 * Validates an export directory against the Emotion-LLaMA loader's contract and returns every violation
 * with its fix (and warnings that do not stop training).
 */
export async function checkExportDir(dir: string, options: CheckOptions = {}): Promise<CheckResult> {
  const out: CheckResult = { dir, violations: [], warnings: [], lists: {} };
  const videoRoot = options.videoRoot ?? path.join(dir, "videos");
  const coarseJson = await loadJson(dir, MERR_FILES.coarseJson, out);
  const fineJson = await loadJson(dir, MERR_FILES.fineJson, out);
  const csv = await loadCsv(dir, out);
  const lists: Array<{ file: string; fine: boolean; json: Record<string, unknown> | undefined; jsonFile: string }> = [
    { file: MERR_FILES.coarseList, fine: false, json: coarseJson, jsonFile: MERR_FILES.coarseJson },
    { file: MERR_FILES.fineList, fine: true, json: fineJson, jsonFile: MERR_FILES.fineJson },
  ];
  const names = new Set<string>();
  let anyList = false;
  for (const list of lists) {
    const full = path.join(dir, list.file);
    if (!(await exists(full))) continue;
    anyList = true;
    const lines: ListLine[] = checkListFile(list.file, await readFile(full, "utf8"), list.fine, out.violations);
    out.lists[list.file] = lines.length;
    const keys = list.fine ? FINE_KEYS : COARSE_KEYS;
    for (const { name, line } of lines) {
      names.add(name);
      const at = { file: list.file, line, name };
      if (list.json && !(name in list.json)) {
        out.violations.push({ ...at, kind: "json-missing-entry", message: `${name} has no entry in ${list.jsonFile}`, fix: `add its entry to ${list.jsonFile} or remove the line` });
      } else if (list.json) {
        for (const p of entryShapeProblems(list.json[name], keys)) {
          out.violations.push({ kind: "json-entry-shape", file: list.jsonFile, name, message: `${name}: ${p}`, fix: "re-export with merr export (it writes the exact MERR schema)" });
        }
      }
    }
  }
  if (!anyList) {
    out.violations.push({ kind: "missing-file", file: `${MERR_FILES.coarseList} | ${MERR_FILES.fineList}`, message: "no list file: the trainer has nothing to train on", fix: "export with --format emotion-llama" });
  }
  for (const name of [...names].sort()) {
    if (csv) {
      const sentence = csv.get(name);
      if (sentence === undefined) {
        out.violations.push({ kind: "csv-missing-row", file: MERR_FILES.transcripts, name, message: `${name} has no row (the loader raises IndexError)`, fix: `add a row: ${name},"<sentence>"` });
      } else if (PANDAS_NA_TOKENS.has(sentence)) {
        out.violations.push({ kind: "csv-nan-sentence", file: MERR_FILES.transcripts, name, message: `${name}: sentence "${sentence}" is read by pandas as NaN and reaches the prompt as "nan"`, fix: 'write a visible marker such as "(no transcript)" (merr export writes one; --empty-sentence sets it)' });
      }
    }
    if (!(await exists(path.join(videoRoot, `${name}.mp4`))) && !(await exists(path.join(videoRoot, `${name}.avi`)))) {
      out.violations.push({ kind: "video-missing", file: path.relative(dir, path.join(videoRoot, `${name}.mp4`)) || videoRoot, name, message: `${name}: no ${name}.mp4 or ${name}.avi in ${videoRoot}`, fix: "export with --videos auto|symlink|copy|transcode, or pass --video-root to where the videos are" });
    }
    await checkFeatures(dir, name, options, out);
  }
  await checkExportFolder(dir, out);
  return out;
}

async function checkFeatures(dir: string, name: string, options: CheckOptions, out: CheckResult): Promise<void> {
  for (const folder of FEATURE_FOLDERS) {
    const file = path.join(folder, `${name}.npy`);
    const full = path.join(dir, file);
    if (!(await exists(full))) {
      const v: Violation = {
        kind: "npy-missing",
        file,
        name,
        message: `${name}: no ${folder} feature (the trainer's np.load fails on this sample)`,
        fix: `produce ${folder}/${name}.npy (features-manifest.json has the recipe), or check with --allow-missing-features`,
      };
      (options.allowMissingFeatures ? out.warnings : out.violations).push(v);
      continue;
    }
    let problem: string | undefined;
    let zeros = false;
    try {
      const { header, size } = await readNpyHeader(full);
      problem = npyFeatureProblem(header, size);
      if (!problem) zeros = await isZeroNpy(full, header);
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem) {
      out.violations.push({ kind: "npy-invalid", file, name, message: `${name}: ${problem}`, fix: "save ONE float32 vector: np.save(path, feats.mean(axis=0).astype(np.float32)) with shape (1024,)" });
    } else if (zeros) {
      out.warnings.push({ kind: "npy-zeros", file, name, message: `${name}: ${folder} is all zeros (a placeholder: it loads, but carries nothing)`, fix: `produce the real ${folder} feature (features-manifest.json has the recipe)` });
    }
  }
}

/** Warnings printed as one line per folder, with what the count is of. */
const GROUPED: Partial<Record<ViolationKind, string>> = {
  "npy-zeros": "zero-filled (placeholder) vectors; see features-manifest.json",
  "npy-missing": "missing files, allowed by --allow-missing-features; see features-manifest.json",
  "untracked-file": "files the latest export did not write (export-report.json does not list them; merr export keeps them): delete them unless you put them there",
};

/** Violations of one kind in one folder printed in full; the rest are counted (`--json` lists every one). */
const MAX_ERRORS_PER_GROUP = 5;

/**
 * One line per violation (`file:line: [kind] message` + `  fix: ...`), at most {@link MAX_ERRORS_PER_GROUP}
 * of one kind in one folder and then their count (a missing feature folder is one error per sample: 30,000
 * samples would print 60,000 lines), then a summary.
 */
export function formatCheckResult(r: CheckResult): string {
  const lines: string[] = [];
  const fmt = (v: Violation, tag: string): void => {
    lines.push(`${tag} ${v.file}${v.line ? `:${v.line}` : ""}: [${v.kind}] ${v.message}`);
    lines.push(`    fix: ${v.fix}`);
  };
  // Grouped by kind and by folder (a feature folder, videos/), or by file for the files at the top (the lists,
  // the JSONs), each group in the order of its first violation, its count right after it.
  const errorGroups = new Map<string, { kind: ViolationKind; where: string; items: Violation[] }>();
  for (const v of r.violations) {
    const folder = path.dirname(v.file);
    const where = folder === "." ? v.file : folder;
    const key = `${v.kind} ${where}`;
    const g = errorGroups.get(key) ?? { kind: v.kind, where, items: [] };
    g.items.push(v);
    errorGroups.set(key, g);
  }
  for (const g of errorGroups.values()) {
    for (const v of g.items.slice(0, MAX_ERRORS_PER_GROUP)) fmt(v, "error");
    const more = g.items.length - MAX_ERRORS_PER_GROUP;
    if (more > 0) lines.push(`error ${g.where}: [${g.kind}] ${more} more of this kind (merr export --check --json lists every one with its fix)`);
  }
  // Warnings are per sample and folder: one line per kind and folder keeps 70,000 samples readable.
  const groups = new Map<string, { kind: ViolationKind; folder: string; count: number }>();
  for (const w of r.warnings) {
    if (!GROUPED[w.kind]) {
      fmt(w, "warning");
      continue;
    }
    const folder = path.dirname(w.file);
    const key = `${w.kind} ${folder}`;
    const g = groups.get(key) ?? { kind: w.kind, folder, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  for (const g of groups.values()) lines.push(`warning ${g.folder}: [${g.kind}] ${g.count} x ${GROUPED[g.kind]}`);
  const listed = Object.entries(r.lists).map(([f, n]) => `${f}: ${n}`).join(", ");
  lines.push(`${r.violations.length === 0 ? "OK" : "FAILED"}: ${r.dir} (${listed || "no lists"}); ${r.violations.length} violation(s), ${r.warnings.length} warning(s); labels: ${MERR_LABELS.join(" ")}`);
  return `${lines.join("\n")}\n`;
}
