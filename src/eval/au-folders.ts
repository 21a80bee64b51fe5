import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { compareAuTables, summariseAgreements, type ClipAgreement, type SetAgreement } from "../core/au-compare.ts";
import { analyzeAu } from "../core/au-analysis.ts";
import type { AuRuleSet } from "../core/au-rules.ts";
import { coerceError, MerrError } from "../core/errors.ts";
import { toSafeId } from "../core/ids.ts";
import { normaliseLabel, resolveLabel } from "../core/labels.ts";
import { parseOpenFaceCsv, type AuTable } from "../core/openface-csv.ts";
import { loadGroundTruth, type GroundTruthOptions } from "./ground-truth.ts";

export interface CompareFoldersOptions extends GroundTruthOptions {
  /** AU rule set for the pseudo-labels of both sides. */
  rules: AuRuleSet;
  /** A labels CSV (`name,label`, CREMA-D's labels.csv, ...): each side's pseudo-labels are scored against it. */
  labels?: string;
}

export interface FolderComparison {
  summary: SetAgreement;
  clips: ClipAgreement[];
  /** CSVs with no namesake in the other folder. */
  onlyA: string[];
  onlyB: string[];
  /** Clips left out, with the reason (an unreadable CSV, no frame tracked on both sides). */
  skipped: Array<{ id: string; reason: string }>;
}

/**
 * The AU CSVs of a folder by clip id, sorted: its `*.csv` files (the id is the safe id of the file stem),
 * or, for a merr run folder (`merr build --out`), each sample's `samples/<id>/au.csv`.
 */
async function csvFiles(dir: string): Promise<Map<string, string>> {
  const names = await readdir(dir).catch((error: unknown) => {
    throw new MerrError("E_USAGE", `cannot read the folder ${dir}: ${(error as Error).message}`, { cause: error });
  });
  const files = new Map<string, string>();
  if (names.includes("samples")) {
    const samples = path.join(dir, "samples");
    for (const id of (await readdir(samples).catch(() => [] as string[])).sort()) {
      const csv = path.join(samples, id, "au.csv");
      if (await stat(csv).then((s) => s.isFile(), () => false)) files.set(id, csv);
    }
  }
  if (files.size === 0) {
    for (const name of names.filter((n) => n.toLowerCase().endsWith(".csv")).sort()) files.set(toSafeId(path.parse(name).name), path.join(dir, name));
  }
  if (files.size === 0) {
    throw new MerrError(
      "E_USAGE",
      `${dir} holds no AU CSV: give two folders of AU CSVs named after their clips (for example OpenFace's <clip>.csv and merr au extract's), or two merr run folders`,
    );
  }
  return files;
}

/**
 * Compares two folders of AU CSVs clip by clip, pairing files by name (`openface/clip7.csv` with
 * `builtin/clip7.csv`): per-AU Pearson r over the frames both tracked, each side's pseudo-label under the
 * same rules, and, with a labels file, how many each side gets right. This is the check of the built-in
 * analyzer on real footage with its OpenFace output (docs/face-analyzer.md). A clip that cannot be read
 * is reported and left out; the others are compared.
 */
export async function compareAuFolders(a: string, b: string, options: CompareFoldersOptions): Promise<FolderComparison> {
  const [filesA, filesB] = await Promise.all([csvFiles(a), csvFiles(b)]);
  const truth = options.labels ? await loadGroundTruth(options.labels, options) : undefined;
  const { rules } = options;
  const load = async (file: string): Promise<AuTable> =>
    parseOpenFaceCsv(await readFile(file, "utf8"), { file, minConfidence: rules.frames.min_confidence, requireSuccess: rules.frames.require_success });
  const label = (table: AuTable, id: string): string | undefined => {
    try {
      return analyzeAu(table, rules, { seed: id }).pseu_emotion;
    } catch (error) {
      // No valid face row: the AU rules cannot label the clip, as au-analyze would filter it.
      if (coerceError(error).code === "E_INPUT_INVALID") return undefined;
      throw error;
    }
  };
  const clips: ClipAgreement[] = [];
  const skipped: FolderComparison["skipped"] = [];
  for (const [id, fileA] of filesA) {
    const fileB = filesB.get(id);
    if (!fileB) continue;
    let tables: [AuTable, AuTable];
    try {
      tables = [await load(fileA), await load(fileB)];
    } catch (error) {
      skipped.push({ id, reason: coerceError(error).message });
      continue;
    }
    const comparison = compareAuTables(tables[0], tables[1]);
    if (comparison.frames === 0) {
      skipped.push({ id, reason: "no frame tracked in both CSVs (are they the same clip?)" });
      continue;
    }
    const raw = truth?.byKey.get(id);
    // A label outside the MERR set (disgust) is one no AU rule gives: left out of the count, as merr eval does.
    const resolved = raw !== undefined && raw.trim() !== "" ? resolveLabel(raw) : undefined;
    const given = resolved === undefined ? {} : resolved.ok ? { truth: resolved.label } : { truthOutOfSet: normaliseLabel(raw!) || raw!.trim() };
    clips.push({ id, comparison, labels: [label(tables[0], id), label(tables[1], id)], ...given });
  }
  if (clips.length === 0) {
    throw new MerrError("E_INPUT_INVALID", `${a} and ${b} have no clip in common that could be compared (CSVs are paired by file name)${skipped.length ? `: ${skipped.map((s) => `${s.id}: ${s.reason}`).join("; ")}` : ""}`);
  }
  return {
    summary: summariseAgreements(clips),
    clips,
    onlyA: [...filesA.keys()].filter((id) => !filesB.has(id)),
    onlyB: [...filesB.keys()].filter((id) => !filesA.has(id)),
    skipped,
  };
}
