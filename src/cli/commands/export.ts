import { stat } from "node:fs/promises";
import { Option, type Command } from "commander";
import { MerrError } from "../../core/errors.ts";
import { EXPORT_FORMATS, type ExportFormat } from "../../export/formats.ts";
import type { ExportReport, RunExportOptions, ShareGptTask } from "../../export/index.ts";
import { checkFolderFlag } from "../options.ts";

/** Where command output goes (tests capture it). */
export interface CommandIo {
  stdout(text: string): void;
}

const processIo: CommandIo = { stdout: (text) => void process.stdout.write(text) };


/** Parses `merr,sharegpt` into formats; an unknown name is E_USAGE. */
export function parseExportFormats(spec: string): ExportFormat[] {
  const names = spec.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(EXPORT_FORMATS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new MerrError("E_USAGE", `unknown export format ${bad.map((b) => `"${b}"`).join(", ") || "(none)"}; choose from ${EXPORT_FORMATS.join(", ")}`);
  }
  return names as ExportFormat[];
}

interface ExportFlags {
  run?: string;
  out?: string;
  format: string;
  check?: string;
  videoRoot?: string;
  allowMissingFeatures?: boolean;
  mapLabel?: string;
  coarseNeutral: string;
  coarseLabels: string;
  fineNeutral: string;
  videos: string;
  videoJobs: string;
  zeroFaceFeatures?: boolean;
  emptySentence?: string;
  seed: string;
  sharegptTasks?: string;
  trainerTargets?: boolean;
  reviewedOnly?: boolean;
  keepUnlisted?: boolean;
  json?: boolean;
}

interface EvalFlags {
  run: string;
  labels?: string;
  idColumn?: string;
  labelColumn?: string;
  out?: string;
  mapLabel?: string;
  reviewed?: boolean;
  json?: boolean;
}

/** Registers `merr export` (and `export --check`) and `merr eval`. Heavy modules load inside the actions. */
export function registerExportCommands(program: Command, io: CommandIo = processIo): void {
  program
    .command("export")
    .description("export a run as MERR / Emotion-LLaMA / ShareGPT / JSONL / CSV, or --check an export directory")
    .option("--run <dir>", "run output directory (merr build --out)")
    .option("--out <dir>", "export directory (the trainer's data root for emotion-llama)")
    .option("--format <list>", `comma-separated formats: ${EXPORT_FORMATS.join(", ")}`, "emotion-llama")
    .option("--check <dir>", "validate an export directory against the Emotion-LLaMA loader contract (exit 1 on any violation)")
    .option("--video-root <dir>", "with --check: where <name>.mp4 must be (default <dir>/videos)")
    // The strict check became the default; the old flag is still accepted so scripts keep working.
    .addOption(new Option("--require-features", "with --check: missing features are violations (the default)").hideHelp())
    .option("--allow-missing-features", "with --check: a missing .npy feature is a warning, not a violation (the trainer cannot load such a sample)")
    .option("--map-label <map>", "out-of-set labels: FROM=TO|drop, comma-separated; * for any other (default: drop)")
    .option("--coarse-neutral <policy>", "neutral clips in the coarse set: none|all|N|P%", "none")
    .option("--coarse-labels <from>", "the coarse list's labels: given (a sample's own label where it has one, else the AU pseudo-label) or pseudo (always the AU pseudo-label, as the paper's unlabelled coarse set)", "given")
    .option("--fine-neutral <policy>", "neutral clips in the fine set: none|all|N|P%", "all")
    .option("--videos <mode>", "videos/<name>.mp4: auto|symlink|copy|transcode|none", "auto")
    .option("--video-jobs <n>", "parallel ffmpeg transcodes", "2")
    .option("--zero-face-features", "write zero vectors for missing mae_340_UTT/maeV_399_UTT (as the trainer's demo does)")
    .option("--empty-sentence <text>", 'transcript CSV sentence for clips without a transcript (default "(no speech)" where merr measured none, else "(no transcript)")')
    .option("--seed <seed>", "seed of neutral sampling and instruction choice", "merr")
    .option("--sharegpt-tasks <list>", "ShareGPT tasks: emotion,reason,reason_v2 (default all)")
    .option("--trainer-targets", "ShareGPT targets preprocessed like Emotion-LLaMA's (lower case, punctuation removed, 200 words)")
    .option("--reviewed-only", "only samples a reviewer kept in merr view (rejections and relabels apply in every export)")
    .option("--keep-unlisted", "also export the run's samples that its source did not list at the last build (renamed, moved or deleted clips)")
    .option("--json", "print the report as JSON")
    .action(async (flags: ExportFlags) => {
      if (flags.check) {
        // Else every file the trainer loads is reported missing, one violation each.
        const info = await stat(flags.check).catch(() => undefined);
        if (!info?.isDirectory()) {
          throw new MerrError("E_USAGE", `--check ${flags.check}: ${info ? "is a file, not a folder" : "no such folder"}; give the folder merr export wrote (its --out)`);
        }
        const { checkExportDir, formatCheckResult } = await import("../../export/index.ts");
        const result = await checkExportDir(flags.check, { videoRoot: flags.videoRoot, allowMissingFeatures: flags.allowMissingFeatures ?? false });
        io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatCheckResult(result));
        if (result.violations.length > 0) {
          throw new MerrError("E_CHECK_FAILED", `${result.violations.length} violation(s) of the Emotion-LLaMA loader contract in ${flags.check}`);
        }
        return;
      }
      if (!flags.run || !flags.out) throw new MerrError("E_USAGE", "merr export needs --run <dir> and --out <dir> (or --check <dir>)");
      await checkFolderFlag("--out", flags.out);
      const report = await runExport(await exportOptionsFromFlags(flags));
      const { formatExportReport } = await import("../../export/index.ts");
      io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatExportReport(report));
    });

  program
    .command("eval")
    .description("score the pseudo-label and the final label of a run against ground truth (WAR, UAR, weighted F1, confusion)")
    .requiredOption("--run <dir>", "run output directory")
    .option("--labels <csv>", "ground-truth CSV (default: the labels the samples carry); CREMA-D codes are understood")
    .option("--id-column <name>", "labels CSV column naming the clip (detected when absent)")
    .option("--label-column <name>", "labels CSV column holding the label (detected when absent)")
    .option("--out <dir>", "where eval.json and the confusion SVGs go (default <run>/eval)")
    .option("--map-label <map>", "out-of-set labels: FROM=TO|drop (default: left out and reported)")
    .option("--reviewed", "ground truth: the labels reviewers gave or accepted in merr view (instead of --labels or the samples' labels)")
    .option("--json", "print the report as JSON")
    .action(async (flags: EvalFlags) => {
      if (flags.out) await checkFolderFlag("--out", flags.out);
      const [{ runEval, formatEvalReport }, { parseLabelPolicy }] = await Promise.all([import("../../eval/index.ts"), import("../../core/labels.ts")]);
      const report = await runEval({
        runDir: flags.run,
        labelsFile: flags.labels,
        idColumn: flags.idColumn,
        labelColumn: flags.labelColumn,
        outDir: flags.out,
        labelPolicy: parseLabelPolicy(flags.mapLabel),
        reviewed: flags.reviewed ?? false,
      });
      io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatEvalReport(report));
      if (report.problem) throw new MerrError("E_INPUT_INVALID", report.problem);
    });
}

async function exportOptionsFromFlags(flags: ExportFlags): Promise<RunExportOptions> {
  const [{ parseLabelPolicy }, { parseNeutralPolicy, VIDEO_MODES, SHAREGPT_TASKS }] = await Promise.all([
    import("../../core/labels.ts"),
    import("../../export/index.ts"),
  ]);
  if (!(VIDEO_MODES as readonly string[]).includes(flags.videos)) {
    throw new MerrError("E_USAGE", `--videos ${flags.videos}: choose from ${VIDEO_MODES.join(", ")}`);
  }
  const jobs = Number(flags.videoJobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new MerrError("E_USAGE", `--video-jobs ${flags.videoJobs}: expected a positive integer`);
  if (flags.coarseLabels !== "given" && flags.coarseLabels !== "pseudo") {
    throw new MerrError("E_USAGE", `--coarse-labels ${flags.coarseLabels}: choose given (a sample's own label where it has one) or pseudo (the AU pseudo-label)`);
  }
  const tasks = flags.sharegptTasks?.split(",").map((t) => t.trim()).filter(Boolean);
  const badTask = tasks?.find((t) => !(SHAREGPT_TASKS as readonly string[]).includes(t));
  if (badTask) throw new MerrError("E_USAGE", `--sharegpt-tasks: unknown task "${badTask}"; choose from ${SHAREGPT_TASKS.join(", ")}`);
  return {
    runDir: flags.run!,
    outDir: flags.out!,
    formats: parseExportFormats(flags.format),
    labelPolicy: parseLabelPolicy(flags.mapLabel),
    neutral: { coarse: parseNeutralPolicy(flags.coarseNeutral), fine: parseNeutralPolicy(flags.fineNeutral) },
    coarseLabels: flags.coarseLabels,
    seed: flags.seed,
    videos: flags.videos as RunExportOptions["videos"],
    videoConcurrency: jobs,
    zeroFaceFeatures: flags.zeroFaceFeatures ?? false,
    ...(flags.emptySentence !== undefined ? { emptySentence: flags.emptySentence } : {}),
    sharegpt: { ...(tasks ? { tasks: tasks as ShareGptTask[] } : {}), targets: flags.trainerTargets ? "trainer" : "raw" },
    reviewedOnly: flags.reviewedOnly ?? false,
    keepUnlisted: flags.keepUnlisted ?? false,
  };
}

/**
 * Runs an export (what `merr build --export DIR` calls after a build). Loads the export module lazily so
 * importing this file stays cheap.
 */
export async function runExport(options: RunExportOptions): Promise<ExportReport> {
  const mod = await import("../../export/index.ts");
  return mod.runExport(options);
}
