import { existsSync } from "node:fs";
import { rmdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getPipeline } from "../../../pipelines/index.ts";
import { WORKER_PROFILES } from "../../../workers/index.ts";
import { loadConfig } from "../../core/config.ts";
import { MerrError } from "../../core/errors.ts";
import { parseLabelPolicy } from "../../core/labels.ts";
import { projectPath } from "../../core/paths.ts";
import { buildStageSettings } from "../settings.ts";
import { preflightBuild, preflightSamples } from "../preflight.ts";
import { buildAnnouncements } from "../announce.ts";
import { createLogger } from "../../core/logger.ts";
import { stderrTerminal, terminalLogDestination, type Terminal } from "../../runtime/progress.ts";
import { coresPerProcess } from "../../runtime/define.ts";
import { compilePipeline } from "../../runtime/plan.ts";
import { redactUrl } from "../../core/redis.ts";
import { runBuild, UNSERVED_GRACE_MS, type EnqueuedCounts } from "../../runtime/run.ts";
import { acquireRunLock } from "../../runtime/run-lock.ts";
import { formatSummary } from "../../runtime/summary.ts";
import { listSamples, selectSamples, type SourceOptions } from "../../sources/index.ts";
import type { Sample } from "../../core/types.ts";
import { STAGES } from "../../stages/index.ts";
import type { ExportFormat } from "../../export/formats.ts";
import { checkFolderFlag, parseConcurrency, parseRateLimits, parseStageSets } from "../options.ts";
import { parseExportFormats } from "./export.ts";

export interface BuildFlags {
  source: string;
  input?: string;
  transcripts?: string;
  out: string;
  pipeline: string;
  limit?: number;
  ids?: string;
  redis?: string;
  workers: boolean;
  processes?: number;
  rateLimit?: string[];
  prefix?: string;
  set?: string[];
  concurrency?: string[];
  logLevel?: string;
  progress?: boolean;
  extractor?: string;
  openfaceBin?: string;
  xvfb?: boolean;
  reuseOpenfaceCsv?: boolean;
  rules?: string;
  peakMethod?: string;
  asr?: string;
  language?: string;
  audio?: string;
  visual?: string;
  reason?: string;
  label?: string;
  mapLabel?: string;
  export?: string;
  exportFormat?: string;
  preflight?: boolean;
  features?: string[];
}

/** The error for a flag that sets an option of a stage the chosen pipeline does not have. */
function missingStageFlag(flag: string, stage: string, pipeline: { name: string; stages: readonly string[] }): MerrError {
  return new MerrError(
    "E_USAGE",
    `${flag} sets an option of stage ${stage}, which pipeline ${pipeline.name} does not have (stages: ${pipeline.stages.join(", ")}): leave it out, or build with --pipeline merr`,
  );
}

/**
 * Turns the model and analysis flags into stage options (flags win over --set). Only stages of the chosen
 * pipeline may be configured: a flag for a stage it lacks is a usage error naming the stage.
 */
export function stageOptionsFromFlags(
  flags: BuildFlags,
  openfaceFromEnv: string | undefined,
  pipeline?: { name: string; stages: readonly string[] },
): Record<string, Record<string, unknown>> {
  const out = parseStageSets(flags.set);
  /**
   * A stage option from a flag. `flag` names the flag the user gave: refused when the pipeline lacks its
   * stage. Without it the option is implied (a source's default, OPENFACE_BIN) and left out for such a pipeline.
   */
  const put = (stage: string, key: string, value: unknown, flag?: string): void => {
    if (value === undefined) return;
    if (pipeline && !pipeline.stages.includes(stage)) {
      if (flag === undefined) return;
      throw missingStageFlag(flag, stage, pipeline);
    }
    (out[stage] ??= {})[key] = value;
  };
  const openfaceBin = flags.openfaceBin ?? openfaceFromEnv;
  put("au-extract", "extractor", flags.extractor, "--extractor");
  if (flags.extractor === undefined) put("au-extract", "extractor", openfaceBin ? "openface" : undefined);
  put("au-extract", "openfaceBin", flags.openfaceBin, "--openface-bin");
  put("au-extract", "xvfb", flags.xvfb, "--xvfb");
  put("au-extract", "reuseCsv", flags.reuseOpenfaceCsv, "--reuse-openface-csv");
  put("au-analyze", "rules", flags.rules, "--rules");
  put("au-analyze", "peakMethod", flags.peakMethod, "--peak-method");
  put("transcript", "asr", flags.asr, "--asr");
  // MER2023 is Mandarin: without --language its clips are never run through the English recogniser.
  // (--language also picks a folder's subtitle files, so it is no error for a pipeline without transcript.)
  put("transcript", "language", flags.language ?? (flags.source === "mer2023-semi" && out.transcript?.language === undefined ? "zh" : undefined));
  put("audio-tone", "backend", flags.audio, "--audio");
  put("visual-describe", "backend", flags.visual, "--visual");
  put("fine", "backend", flags.reason, "--reason");
  put("fine", "label", flags.label, "--label");
  // Checked here so that a bad map is a usage error (E_USAGE) before anything runs.
  if (flags.mapLabel !== undefined) parseLabelPolicy(flags.mapLabel);
  put("fine", "mapLabel", flags.mapLabel, "--map-label");
  // au-analyze keeps a clip no AU rule fired on for a mapped ground truth as for a MERR one (keepLabelled).
  put("au-analyze", "mapLabel", flags.mapLabel, "--map-label");
  return out;
}

/**
 * What a build without workers says when its jobs wait on queues no worker serves: the queues, the worker
 * profiles that serve them, and the command that starts one (its Redis URL without a password).
 */
export function describeUnserved(queues: readonly string[], redis: string, prefix: string): string {
  const profiles = [...WORKER_PROFILES.values()].filter((p) => p.stages !== "*");
  const byProfile = profiles.map((p) => ({ name: p.name, queues: queues.filter((q) => (p.stages as readonly string[]).includes(q)) })).filter((p) => p.queues.length);
  const command = (profile: string): string => `merr worker --redis ${redactUrl(redis)} --prefix ${prefix} --profile ${profile}`;
  const start = byProfile.length ? byProfile.map((p) => `\`${command(p.name)}\` (${p.queues.join(", ")})`).join(" and ") : `\`${command("all")}\``;
  return (
    `merr build: jobs have waited ${UNSERVED_GRACE_MS / 1000} s on ${queues.join(", ")} with no worker serving them under prefix "${prefix}". ` +
    `Start ${byProfile.length > 1 ? "workers" : "a worker"}: ${start}. A worker already running may have another --redis or --prefix (its start line names both)`
  );
}

/** What a build found to do: `merr build: 1 sample changed since the last build; to run: transcript 1, fine 1`. */
export function formatEnqueued(e: EnqueuedCounts): string {
  const fresh = e.added - e.changed - e.moved;
  const parts = [
    `${e.changed} sample${e.changed === 1 ? "" : "s"} changed since the last build`,
    `${fresh} new or unfinished${e.retried ? ` (${e.retried} failed before: tried again)` : ""}`,
    `${e.alreadyDone} unchanged`,
    ...(e.moved ? [`${e.moved} unchanged but listed with another path or source (only their sample.json is written again)`] : []),
    ...(e.inFlight ? [`${e.inFlight} still in flight`] : []),
    ...(e.takenOver ? [`records of ${e.takenOver} sample${e.takenOver === 1 ? "" : "s"} made by an earlier merr version taken over (the new version redoes nothing of them)`] : []),
  ];
  const stages = Object.entries(e.toRun).filter(([, n]) => n > 0);
  const toRun = stages.length ? stages.map(([stage, n]) => `${stage} ${n}`).join(", ") : "nothing";
  return `merr build: ${parts.join(", ")}; stage jobs to run: ${toRun}`;
}

/** The highest folder of `dir`'s path that does not exist yet; undefined when `dir` exists. */
function topMissingFolder(dir: string): string | undefined {
  let top: string | undefined;
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    top = d;
    if (path.dirname(d) === d) break;
  }
  return top;
}

/** Removes `dir` and its parents up to `top` while they are empty (rmdir never removes a folder with anything in it). */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let d = dir; d.startsWith(top); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}

/** `merr build`: returns the process exit code. */
export async function buildCommand(flags: BuildFlags, signal: AbortSignal): Promise<number> {
  const config = loadConfig({ redis: flags.redis, prefix: flags.prefix, logLevel: flags.logLevel });
  // Checked now, not when the build has ended and its export starts.
  const exportFormats = parseExportFormats(flags.exportFormat ?? "emotion-llama");
  await checkFolderFlag("--out", flags.out);
  if (flags.export) await checkFolderFlag("--export", flags.export);
  if (flags.export) {
    // A folder that --export would refuse (not empty, not a merr export) is refused now, not after the build.
    const { openExportFolder } = await import("../../export/index.ts");
    await openExportFolder(path.resolve(flags.export));
  }
  const tty = Boolean(process.stderr.isTTY) && flags.progress !== false;
  // On a TTY the progress line is the display: logs only for warnings and worse, as text above it.
  const terminal = tty ? stderrTerminal() : undefined;
  const logger = createLogger({
    level: tty && config.logLevel === "info" ? "warn" : config.logLevel,
    ...(terminal ? { destination: terminalLogDestination(terminal) } : {}),
  });
  const pipeline = getPipeline(flags.pipeline);
  const pipelineStages = { name: pipeline.name, stages: pipeline.stages.map((s) => s.stage.name) };
  const stageOptions = stageOptionsFromFlags(flags, config.env.OPENFACE_BIN, pipelineStages);
  if (flags.features?.length) {
    if (!pipelineStages.stages.includes("features")) throw missingStageFlag("--features", "features", pipelineStages);
    // Hashes each model file (the hash keys the records): adapters are loaded only when asked for.
    const { resolveFeatureSpecs } = await import("../../adapters/features/index.ts");
    (stageOptions.features ??= {}).encoders = await resolveFeatureSpecs(flags.features);
  }
  const plan = compilePipeline(pipeline, stageOptions, parseRateLimits(flags.rateLimit));
  // The in-process workers serve the pipeline's stages (finalize's concurrency is the runtime's).
  const concurrency = parseConcurrency(flags.concurrency, plan.order);
  const notes: string[] = [];
  const sourceOptions: SourceOptions = {
    notes,
    source: flags.source,
    input: flags.input,
    transcripts: flags.transcripts,
    limit: flags.limit,
    ids: flags.ids?.split(",").map((s) => s.trim()).filter(Boolean),
    // A clip the run already holds keeps its id (sources/assign-ids.ts).
    runDir: flags.out,
    language: typeof stageOptions.transcript?.language === "string" ? stageOptions.transcript.language : undefined,
  };
  // The source's flags and files are checked before the model backends are asked.
  const listed = await listSamples(sourceOptions);
  const samples = selectSamples(listed, sourceOptions);
  if (flags.preflight !== false) await preflightBuild(plan, config, signal, logger, { inProcessWorkers: flags.workers });
  process.stderr.write(`merr build: ${samples.length} sample${samples.length === 1 ? "" : "s"} from --source ${flags.source}, pipeline ${plan.pipeline} (${plan.order.join(" → ")}), out ${flags.out}\n`);
  for (const note of notes) process.stderr.write(`merr build: note: ${note}\n`);
  for (const line of buildAnnouncements(plan, samples, { source: flags.source, transcripts: flags.transcripts })) process.stderr.write(`merr build: ${line}\n`);
  // Programs are looked for here only when this process runs the stages (not with --no-workers).
  if (flags.preflight !== false && flags.workers) await preflightSamples(plan, samples, config);
  // One build per output folder: a second one must never share, and then stop, this build's Redis.
  const created = topMissingFolder(flags.out);
  const lock = await acquireRunLock(flags.out);
  try {
    return await buildLocked(flags, signal, { config, logger, plan, samples, listed, tty, terminal, concurrency, exportFormats });
  } finally {
    await lock.release();
    // A build that stopped before writing anything (Redis unreachable) leaves none of the folders it made.
    if (created) await removeEmptyFolders(path.resolve(flags.out), created);
  }
}

async function buildLocked(
  flags: BuildFlags,
  signal: AbortSignal,
  { config, logger, plan, samples, listed, tty, terminal, concurrency, exportFormats }: {
    config: ReturnType<typeof loadConfig>;
    logger: ReturnType<typeof createLogger>;
    plan: ReturnType<typeof compilePipeline>;
    samples: Sample[];
    listed: Sample[];
    tty: boolean;
    terminal: Terminal | undefined;
    concurrency: Record<string, number>;
    exportFormats: ExportFormat[];
  },
): Promise<number> {
  // The machine's cores shared among the worker processes, so N processes do not start N times the ffmpeg runs.
  const cores = coresPerProcess(os.availableParallelism(), flags.workers ? (flags.processes ?? 1) : 1);
  const result = await runBuild({
    outDir: flags.out,
    source: flags.source,
    samples,
    listed: { input: flags.input, samples: listed },
    plan,
    registry: new Map(STAGES),
    redis: config.redis,
    prefix: config.prefix,
    inProcessWorkers: flags.workers,
    concurrency,
    cores,
    extraWorkers: flags.workers && (flags.processes ?? 1) > 1
      ? {
          count: (flags.processes ?? 1) - 1,
          argv: (redisUrl: string) => [
            process.execPath, projectPath("bin", "merr.js"), "worker", "--profile", "all", "--redis", redisUrl, "--prefix", config.prefix,
            "--log-level", config.logLevel === "info" ? "warn" : config.logLevel, "--cores", String(cores),
            ...(flags.concurrency ?? []).flatMap((c) => ["--concurrency", c]),
            ...(flags.rateLimit ?? []).flatMap((r) => ["--rate-limit", r]),
          ],
        }
      : undefined,
    settings: buildStageSettings(config),
    logger,
    progress: tty ? "tty" : "log",
    ...(terminal ? { terminal } : {}),
    signal,
    redisBin: config.redisServerBin,
    onEnqueued: (e) => process.stderr.write(`${formatEnqueued(e)}\n`),
    describeUnserved: (queues, redisUrl) => describeUnserved(queues, redisUrl, config.prefix),
  });
  process.stdout.write(`${formatSummary(result.summary)}\n`);
  process.stdout.write(
    `run ${result.runId}: ${result.enqueued} enqueued, ${result.alreadyDone} already done, ${result.inFlight} resumed in flight${result.interrupted ? " — interrupted" : ""}\n`,
  );
  if (result.interrupted) return 130;
  process.stdout.write(`review the samples in the browser: npx merr view --out ${/\s/.test(flags.out) ? JSON.stringify(flags.out) : flags.out}\n`);
  if (flags.export) {
    const { runExport, formatExportReport } = await import("../../export/index.ts");
    const report = await runExport({ runDir: flags.out, outDir: flags.export, formats: exportFormats, logger, signal });
    process.stdout.write(formatExportReport(report));
  }
  return result.exitCode;
}
