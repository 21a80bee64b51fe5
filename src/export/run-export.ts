import { rm } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { DEFAULT_LABEL_POLICY, describeLabelPolicy, type LabelPolicy } from "../core/labels.ts";
import type { Logger } from "../core/logger.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import { describeUnlisted, findUnlisted } from "../core/run-samples.ts";
import { entriesCsvLines, listedEntries, transcriptCsvLines } from "./csv.ts";
import { EXPORT_FORMATS, type ExportFormat } from "./formats.ts";
import { exportFeatures, renderFeatureManifest, type FeatureReport } from "./features.ts";
import { jsonlLines, writeLinesAtomic } from "./jsonl.ts";
import { loadEntries } from "./load-entries.ts";
import { merrFileLines, MERR_FILES } from "./merr-format.ts";
import { DEFAULT_SELECT_OPTIONS, selectEntries, type Counts, type NeutralPolicy, type Selection } from "./select.ts";
import { jsonArrayLines, shareGptDatasetInfo, shareGptRecords, SHAREGPT_TASKS, type ShareGptTask } from "./sharegpt.ts";
import { exportMedia, type MediaPaths } from "./media.ts";
import { applyReviews, type ReviewReport } from "./reviews.ts";
import { loadReviews } from "../core/reviews.ts";
import type { VideoMode } from "./videos.ts";


/** Files each format writes inside the export directory. */
export const EXPORT_LAYOUT = {
  report: "export-report.json",
  featureManifest: "features-manifest.json",
  videos: "videos",
  sharegptDir: "sharegpt",
  sharegptFile: "merr_sharegpt.json",
  /** LLaMA-Factory's dataset list, at the root: `--dataset_dir <export> --dataset merr`. */
  datasetInfo: "dataset_info.json",
  jsonl: "merr.jsonl",
  csv: "merr.csv",
} as const;

export interface RunExportOptions {
  /** The run output directory (`merr build --out`). */
  runDir: string;
  /** The export directory (the trainer's DATA_ROOT for `emotion-llama`). */
  outDir: string;
  formats: readonly ExportFormat[];
  /** @defaultValue drop every out-of-set label */
  labelPolicy?: LabelPolicy;
  /** @defaultValue coarse none, fine all */
  neutral?: { coarse?: NeutralPolicy; fine?: NeutralPolicy };
  /** @defaultValue `"merr"` */
  seed?: string;
  /** @defaultValue `"auto"` */
  videos?: VideoMode;
  /** Parallel ffmpeg transcodes. @defaultValue 2 */
  videoConcurrency?: number;
  /** @defaultValue false */
  zeroFaceFeatures?: boolean;
  /** @defaultValue `"(no speech)"` */
  emptySentence?: string;
  /** @defaultValue all tasks, raw targets */
  sharegpt?: { tasks?: readonly ShareGptTask[]; targets?: "raw" | "trainer" };
  logger?: Logger;
  signal?: AbortSignal;
  /** Entries to export instead of reading `runDir` (benchmarks, tests). */
  entries?: readonly MerrEntry[];
  /** Only samples a reviewer accepted (or relabelled, or whose caption was edited) in `merr view`. @defaultValue false */
  reviewedOnly?: boolean;
  /**
   * Export the samples the run holds that its source did not list at the last build (a clip renamed, moved
   * or deleted since: its old sample would be a second copy or point at no clip). @defaultValue false
   */
  keepUnlisted?: boolean;
}

export interface ExportReport {
  runDir: string;
  outDir: string;
  formats: ExportFormat[];
  labelPolicy: string;
  seed: string;
  samples: number;
  kept: number;
  coarse: number;
  fine: number;
  /** Per set, reason -> number of samples left out. */
  excluded: { samples: Counts; coarse: Counts; fine: Counts; videos: Counts };
  labels: { dropped: Counts; mapped: Counts; coarse: Counts; fine: Counts };
  videos?: Counts;
  /** `audios/<name>.wav` per action (copy, symlink, unchanged) or reason. */
  audios?: Counts;
  features?: Array<Omit<FeatureReport, "missing" | "invalid"> & { missing: number; invalid: number }>;
  /** What the reviews under `<run>/reviews/` changed (export/reviews.ts). */
  reviews: ReviewReport;
  /** Samples of the run its source did not list at the last build (`<run>/listing.json`), left out unless kept. */
  unlisted?: { ids: string[]; kept: boolean; note: string };
  files: string[];
}

const countLabels = (items: Selection["coarse"]): Counts => {
  const c: Counts = {};
  for (const i of items) c[i.label] = (c[i.label] ?? 0) + 1;
  return c;
};

/** Exports a finished or partial run in every requested format. Deterministic; every file is written atomically. */
export async function runExport(options: RunExportOptions): Promise<ExportReport> {
  const formats = [...new Set(options.formats)].sort((a, b) => EXPORT_FORMATS.indexOf(a) - EXPORT_FORMATS.indexOf(b));
  if (formats.length === 0) throw new MerrError("E_USAGE", `no export format given; choose from ${EXPORT_FORMATS.join(", ")}`);
  const outDir = path.resolve(options.outDir);
  const runDir = path.resolve(options.runDir);
  const seed = options.seed ?? DEFAULT_SELECT_OPTIONS.seed;
  const labelPolicy = options.labelPolicy ?? DEFAULT_LABEL_POLICY;
  const all = options.entries ?? (await loadEntries(runDir));
  const unlisted = options.entries ? undefined : findUnlisted(runDir);
  const keepUnlisted = options.keepUnlisted ?? false;
  const leftOut = new Set(unlisted && !keepUnlisted ? unlisted.ids : []);
  const loaded = leftOut.size ? all.filter((e) => !leftOut.has(e.name)) : all;
  const reviewed = applyReviews(loaded, loadReviews(runDir), options.reviewedOnly ?? false);
  const entries = reviewed.entries;
  const sel = selectEntries(entries, {
    labelPolicy,
    seed,
    neutral: { ...DEFAULT_SELECT_OPTIONS.neutral, ...options.neutral },
  });
  const files: string[] = [];
  const write = async (rel: string, content: string | Uint8Array): Promise<void> => {
    await writeFileAtomic(path.join(outDir, rel), content);
    files.push(rel);
  };
  const stream = async (rel: string, lines: Iterable<string>): Promise<void> => {
    await writeLinesAtomic(path.join(outDir, rel), lines);
    files.push(rel);
  };
  const report: ExportReport = {
    runDir, outDir, formats, labelPolicy: describeLabelPolicy(labelPolicy), seed,
    samples: all.length, kept: 0, coarse: 0, fine: 0,
    excluded: {
      ...sel.excluded,
      samples: { ...(all.length > loaded.length ? { unlisted: all.length - loaded.length } : {}), ...reviewed.excluded, ...sel.excluded.samples },
      videos: {},
    },
    labels: { ...sel.labels, coarse: {}, fine: {} },
    reviews: reviewed.report,
    ...(unlisted?.ids.length
      ? {
          unlisted: {
            ids: unlisted.ids,
            kept: keepUnlisted,
            note: describeUnlisted(runDir, unlisted, (them) => (keepUnlisted ? `--keep-unlisted exported ${them}` : `the export left ${them} out (--keep-unlisted exports ${them})`)),
          },
        }
      : {}),
    files,
  };
  const emotionLlama = formats.includes("emotion-llama");
  const videoMode = options.videos ?? "auto";
  // Every format references media: it goes inside the export folder, so the folder can be moved whole.
  const media = new Map<string, MediaPaths>();
  if (videoMode !== "none") {
    const listed = emotionLlama || formats.includes("sharegpt") ? listedEntries(sel) : [];
    const kept = formats.includes("jsonl") || formats.includes("csv") ? sel.kept : [];
    const entries = [...new Map([...listed, ...kept].map((e) => [e.name, e])).values()].sort((a, b) => a.name.localeCompare(b.name));
    const exported = await exportMedia(entries, outDir, videoMode, { concurrency: options.videoConcurrency, signal: options.signal, logger: options.logger });
    for (const [name, paths] of exported.paths) media.set(name, paths);
    report.videos = exported.videos;
    if (Object.keys(exported.audios).length > 0) report.audios = exported.audios;
    // The trainer cannot load a listed sample without its video: it leaves both sets.
    if (emotionLlama) {
      const listedNames = new Set(listedEntries(sel).map((e) => e.name));
      for (const [name, reason] of exported.videoFailures) {
        if (listedNames.has(name)) report.excluded.videos[reason] = (report.excluded.videos[reason] ?? 0) + 1;
      }
      sel.coarse = sel.coarse.filter((s) => !exported.videoFailures.has(s.entry.name));
      sel.fine = sel.fine.filter((s) => !exported.videoFailures.has(s.entry.name));
    }
  }
  report.kept = sel.kept.length;
  report.coarse = sel.coarse.length;
  report.fine = sel.fine.length;
  report.labels.coarse = countLabels(sel.coarse);
  report.labels.fine = countLabels(sel.fine);

  if (formats.includes("merr") || emotionLlama) {
    for (const [name, lines] of Object.entries(merrFileLines(sel))) await stream(name, lines());
    const rows = listedEntries(sel).map((e) => ({ name: e.name, text: e.text }));
    await stream(MERR_FILES.transcripts, transcriptCsvLines(rows, options.emptySentence));
  }
  if (emotionLlama) {
    const reports = await exportFeatures(outDir, listedEntries(sel), { zeroFaceFeatures: options.zeroFaceFeatures ?? false });
    await write(EXPORT_LAYOUT.featureManifest, renderFeatureManifest(reports));
    report.features = reports.map((r) => ({ ...r, missing: r.missing.length, invalid: r.invalid.length }));
  }
  if (formats.includes("sharegpt")) {
    const records = shareGptRecords(sel, {
      tasks: options.sharegpt?.tasks ?? SHAREGPT_TASKS,
      targets: options.sharegpt?.targets ?? "raw",
      seed,
      emptySentence: options.emptySentence,
      media: (e: MerrEntry) => media.get(e.name) ?? {},
    });
    const sharegptFile = path.posix.join(EXPORT_LAYOUT.sharegptDir, EXPORT_LAYOUT.sharegptFile);
    await stream(sharegptFile, jsonArrayLines(records));
    // At the export root: LLaMA-Factory resolves media against its dataset_dir (its default media_dir).
    await write(EXPORT_LAYOUT.datasetInfo, `${JSON.stringify(shareGptDatasetInfo(sharegptFile), null, 2)}\n`);
    await rm(path.join(outDir, EXPORT_LAYOUT.sharegptDir, EXPORT_LAYOUT.datasetInfo), { force: true }); // from an export made before 0.2
  }
  if (formats.includes("jsonl")) {
    await stream(EXPORT_LAYOUT.jsonl, jsonlLines(sel, { runDir, media: (name) => media.get(name) ?? {} }));
  }
  if (formats.includes("csv")) await stream(EXPORT_LAYOUT.csv, entriesCsvLines(sel, (name) => media.get(name) ?? {}));
  files.sort();
  await writeJsonAtomic(path.join(outDir, EXPORT_LAYOUT.report), report);
  options.logger?.info({ outDir, formats, coarse: report.coarse, fine: report.fine }, "export written");
  return report;
}
