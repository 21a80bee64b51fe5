import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { removeStaleTemps, writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { DEFAULT_LABEL_POLICY, describeLabelPolicy, type LabelPolicy } from "../core/labels.ts";
import type { Logger } from "../core/logger.ts";
import { FEATURE_FOLDERS, type MerrEntry } from "../core/merr-entry.ts";
import { describeUnlisted, findUnlisted } from "../core/run-samples.ts";
import { entriesCsvLines, listedEntries, transcriptCsvLines } from "./csv.ts";
import { EXPORT_FORMATS, type ExportFormat } from "./formats.ts";
import { claimExportFolder, listFiles, openExportFolder, removeStaleFiles } from "./export-folder.ts";
import { exportFeatures, featurePath, renderFeatureManifest, type FeatureReport } from "./features.ts";
import { jsonlLines, writeLinesAtomic } from "./jsonl.ts";
import { loadEntries } from "./load-entries.ts";
import { merrFileLines, MERR_FILES } from "./merr-format.ts";
import { DEFAULT_SELECT_OPTIONS, selectEntries, type Counts, type NeutralPolicy, type Selection } from "./select.ts";
import { jsonArrayLines, shareGptDatasetInfo, shareGptRecords, SHAREGPT_TASKS, type ShareGptTask } from "./sharegpt.ts";
import { DATA_FILES, EXPORT_LAYOUT, SHAREGPT_PATH } from "./layout.ts";
import { audioPath, exportMedia, MEDIA_DIRS, mediaFix, videoPath, type MediaPaths, type MediaProblem, type MissingMedia } from "./media.ts";
import { applyReviews, type ReviewReport } from "./reviews.ts";
import { loadReviews } from "../core/reviews.ts";
import type { VideoMode } from "./videos.ts";

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
  /** The coarse list's label (`SelectOptions.coarseLabels`). @defaultValue `"given"` */
  coarseLabels?: "given" | "pseudo";
  /** @defaultValue `"auto"` */
  videos?: VideoMode;
  /** Parallel ffmpeg transcodes. @defaultValue 2 */
  videoConcurrency?: number;
  /** @defaultValue false */
  zeroFaceFeatures?: boolean;
  /** Every empty sentence; by default "(no speech)" or "(no transcript)" as measured (`emptySentenceOf`). */
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
  /** Where the coarse list's labels come from (`given` or `pseudo`). */
  coarseLabels: "given" | "pseudo";
  seed: string;
  samples: number;
  kept: number;
  coarse: number;
  fine: number;
  /** Per set, reason -> number of samples left out. */
  excluded: { samples: Counts; coarse: Counts; fine: Counts; videos: Counts };
  /** `overruled`: coarse entries whose own label replaced a different AU pseudo-label (`happy->fear`). */
  labels: { dropped: Counts; mapped: Counts; overruled: Counts; coarse: Counts; fine: Counts };
  videos?: Counts;
  /** `audios/<name>.wav` per action (copy, symlink, unchanged) or reason. */
  audios?: Counts;
  features?: Array<Omit<FeatureReport, "missing" | "invalid"> & { missing: number; invalid: number }>;
  /** What the reviews under `<run>/reviews/` changed (export/reviews.ts). */
  reviews: ReviewReport;
  /** Samples left out of the fine set because their fine caption ends on another label than theirs (`caption-not-for-label`). */
  captionNotForLabel?: string[];
  /** Samples of the run its source did not list at the last build (`<run>/listing.json`), left out unless kept. */
  unlisted?: { ids: string[]; kept: boolean; note: string };
  /** `false` in the report written before anything else (export-folder.ts); `true` once the export has finished. */
  complete: boolean;
  /** The data files written (what a trainer reads), relative to the export folder. */
  files: string[];
  /** Files the previous export into this folder wrote and this one did not: removed. */
  removed: string[];
  /** Files of the previous export left in place, and why (a folder on the way is a symbolic link...). */
  notRemoved: Array<{ file: string; reason: string }>;
  /** Files in the folder that no merr export recorded writing: never removed, listed so you can decide. */
  untracked: string[];
  /**
   * Every sample whose video or WAV could not be put in the export (gone from the run, or failed), with the
   * fix, and the data files that list it without (`merr export --check` fails on those).
   */
  missingMedia: MissingMedia[];
  /**
   * Every file of this export (data files, videos, audios, features), relative to the export folder: the
   * next export into this folder removes those it does not write again.
   */
  written: string[];
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
  const folder = await openExportFolder(outDir); // refuses a folder that is not merr's before any work
  const inRun = options.entries ?? (await loadEntries(runDir));
  const unlisted = options.entries ? undefined : findUnlisted(runDir);
  const keepUnlisted = options.keepUnlisted ?? false;
  const leftOut = new Set(unlisted && !keepUnlisted ? unlisted.ids : []);
  const loaded = leftOut.size ? inRun.filter((e) => !leftOut.has(e.name)) : inRun;
  const reviewed = applyReviews(loaded, loadReviews(runDir), options.reviewedOnly ?? false);
  const entries = reviewed.entries;
  const coarseLabels = options.coarseLabels ?? DEFAULT_SELECT_OPTIONS.coarseLabels;
  const sel = selectEntries(entries, {
    labelPolicy,
    seed,
    neutral: { ...DEFAULT_SELECT_OPTIONS.neutral, ...options.neutral },
    coarseLabels,
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
    runDir, outDir, formats, labelPolicy: describeLabelPolicy(labelPolicy), coarseLabels, seed,
    samples: inRun.length, kept: 0, coarse: 0, fine: 0,
    excluded: {
      ...sel.excluded,
      samples: { ...(inRun.length > loaded.length ? { unlisted: inRun.length - loaded.length } : {}), ...reviewed.excluded, ...sel.excluded.samples },
      videos: {},
    },
    labels: { ...sel.labels, coarse: {}, fine: {} },
    reviews: reviewed.report,
    ...(sel.captionNotForLabel.length ? { captionNotForLabel: sel.captionNotForLabel } : {}),
    ...(unlisted?.ids.length
      ? {
          unlisted: {
            ids: unlisted.ids,
            kept: keepUnlisted,
            note: describeUnlisted(runDir, unlisted, (them) => (keepUnlisted ? `--keep-unlisted exported ${them}` : `the export left ${them} out (--keep-unlisted exports ${them})`)),
          },
        }
      : {}),
    complete: false,
    files,
    removed: [],
    notRemoved: [],
    untracked: [],
    missingMedia: [],
    written: [],
  };
  const emotionLlama = formats.includes("emotion-llama");
  const videoMode = options.videos ?? "auto";
  const listed = emotionLlama || formats.includes("sharegpt") ? listedEntries(sel) : [];
  const kept = formats.includes("jsonl") || formats.includes("csv") ? sel.kept : [];
  const mediaEntries = videoMode === "none" ? [] : [...new Map([...listed, ...kept].map((e) => [e.name, e])).values()].sort((a, b) => a.name.localeCompare(b.name));
  // Only ShareGPT, the JSONL and the CSV reference the audio: an Emotion-LLaMA export takes none.
  const audios = formats.some((f) => f === "sharegpt" || f === "jsonl" || f === "csv");
  await claimExportFolder(folder, plannedFiles(formats, mediaEntries, emotionLlama ? listed : [], audios), { runDir, outDir, formats });
  // Every format references media: it goes inside the export folder, so the folder can be moved whole.
  const media = new Map<string, MediaPaths>();
  let problems: MediaProblem[] = [];
  if (videoMode !== "none") {
    const exported = await exportMedia(mediaEntries, outDir, videoMode, { audios, concurrency: options.videoConcurrency, signal: options.signal, logger: options.logger });
    for (const [name, paths] of exported.paths) media.set(name, paths);
    problems = exported.problems;
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
  const carrying = carriers(sel, formats);
  report.missingMedia = problems.map((p) => ({ ...p, fix: mediaFix(p, runDir), in: carrying(p.name) }));

  if (formats.includes("merr") || emotionLlama) {
    for (const [name, lines] of Object.entries(merrFileLines(sel))) await stream(name, lines());
    await stream(MERR_FILES.transcripts, transcriptCsvLines(listedEntries(sel), options.emptySentence));
  }
  const featureFiles: string[] = [];
  if (emotionLlama) {
    const { reports, written } = await exportFeatures(outDir, listedEntries(sel), { zeroFaceFeatures: options.zeroFaceFeatures ?? false });
    featureFiles.push(...written);
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
    await stream(SHAREGPT_PATH, jsonArrayLines(records));
    // At the export root: LLaMA-Factory resolves media against its dataset_dir (its default media_dir).
    await write(EXPORT_LAYOUT.datasetInfo, `${JSON.stringify(shareGptDatasetInfo(SHAREGPT_PATH), null, 2)}\n`);
  }
  if (formats.includes("jsonl")) {
    await stream(EXPORT_LAYOUT.jsonl, jsonlLines(sel, { runDir, media: (name) => media.get(name) ?? {} }));
  }
  if (formats.includes("csv")) await stream(EXPORT_LAYOUT.csv, entriesCsvLines(sel, (name) => media.get(name) ?? {}));
  files.sort();
  // The folder now holds exactly this export: what the previous one wrote and this one did not goes.
  const written = new Set([...files, ...featureFiles, ...[...media.values()].flatMap((m) => [m.video, m.audio].filter((f): f is string => f !== undefined))]);
  Object.assign(report, await removeStaleFiles(folder, written));
  // Temp files of an export that was killed between writing and renaming (nothing else writes here now).
  await removeStaleTemps(["", ...Object.values(MEDIA_DIRS), EXPORT_LAYOUT.sharegptDir, ...FEATURE_FOLDERS].map((d) => path.join(outDir, d)), 0);
  report.untracked = [...(await listFiles(outDir))].filter((f) => !written.has(f) && f !== EXPORT_LAYOUT.report).sort();
  report.written = [...written].sort();
  report.complete = true;
  const { written: all, ...head } = report;
  await writeJsonAtomic(path.join(outDir, EXPORT_LAYOUT.report), { ...head, written: all }); // the long list last
  options.logger?.info({ outDir, formats, coarse: report.coarse, fine: report.fine }, "export written");
  return report;
}

/**
 * Every file this export may write, relative to the export folder (its report claims them before they are
 * written, so an export stopped half-way leaves nothing the next one does not know of).
 */
function plannedFiles(formats: readonly ExportFormat[], mediaEntries: readonly MerrEntry[], featureEntries: readonly MerrEntry[], audios: boolean): string[] {
  const out = formats.flatMap((f) => DATA_FILES[f]);
  for (const e of mediaEntries) {
    out.push(videoPath(e.name));
    if (audios && e.wavPath) out.push(audioPath(e.name));
  }
  for (const e of featureEntries) for (const folder of FEATURE_FOLDERS) out.push(featurePath(folder, e.name));
  return out;
}

/**
 * The data files that list a sample with a place for its media (ShareGPT's `videos`/`audios`, the JSONL's and
 * CSV's video and audio columns), by name. The MERR lists are not among them: a sample without its video
 * leaves them.
 */
function carriers(sel: Selection, formats: readonly ExportFormat[]): (name: string) => string[] {
  const shared = new Set(formats.includes("sharegpt") ? [...sel.coarse, ...sel.fine].map((s) => s.entry.name) : []);
  const kept = new Set(sel.kept.map((e) => e.name));
  const rows: string[] = [...(formats.includes("jsonl") ? [EXPORT_LAYOUT.jsonl] : []), ...(formats.includes("csv") ? [EXPORT_LAYOUT.csv] : [])];
  return (name) => [...(shared.has(name) ? [SHAREGPT_PATH] : []), ...(kept.has(name) ? rows : [])];
}
