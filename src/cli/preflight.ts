import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import { POCKETSPHINX_BIN } from "../adapters/audio/pocketsphinx.ts";
import { installHint } from "../adapters/tools/binaries.ts";
import { findProgram } from "../adapters/tools/find-program.ts";
import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";
import type { Plan } from "../runtime/plan.ts";
import type { PreflightTargets } from "../runtime/preflight.ts";
import { pocketsphinxSamples } from "./announce.ts";
import { buildStageSettings } from "./settings.ts";

/**
 * `merr build`'s preflight: every model backend and program the plan's stages will use is checked before
 * anything is queued, so a wrong URL, key or model name stops the build in seconds instead of failing
 * every sample hours later. Prints one line per passed check on stderr.
 */
export async function preflightBuild(plan: Plan, config: Config, signal: AbortSignal, logger: Logger, opts: { inProcessWorkers: boolean } = { inProcessWorkers: true }): Promise<void> {
  const { preflightTargetsOfPlan, runPreflight } = await import("../runtime/preflight.ts");
  const settings = buildStageSettings(config);
  const targets: PreflightTargets = preflightTargetsOfPlan(plan, settings);
  // With --no-workers the stages run on `merr worker` machines: a program is their business (their own
  // preflight checks OPENFACE_BIN), not this machine's.
  if (!opts.inProcessWorkers) delete targets.openface;
  if (targets.models.size === 0 && !targets.openface && !targets.data?.length) return;
  const passed = await runPreflight(targets, settings, { searchPath: config.searchPath, signal, logger });
  for (const line of passed) process.stderr.write(`preflight: ${line}\n`);
}

/** `merr worker`'s preflight: the backends its environment configures, and OpenFace when OPENFACE_BIN is set. */
export async function preflightWorker(stages: readonly string[], config: Config, signal: AbortSignal, logger: Logger): Promise<void> {
  const { preflightTargetsOfWorker, runPreflight } = await import("../runtime/preflight.ts");
  const settings = buildStageSettings(config);
  const targets = preflightTargetsOfWorker(stages, settings);
  if (targets.backends.length === 0 && !targets.openface) return;
  await runPreflight(targets, settings, { searchPath: config.searchPath, signal, logger });
}

/**
 * `merr build`'s check of the programs its own workers will start, once the samples are known: ffmpeg and
 * ffprobe for every clip when the plan probes media, and pocketsphinx when it will transcribe samples
 * (those without a transcript from the source). Otherwise each sample fails at its first stage that needs
 * one, pocketsphinx's only after the face analysis. One error lists every missing program.
 */
export async function preflightSamples(plan: Plan, samples: readonly Sample[], config: Config): Promise<void> {
  const problems: string[] = [];
  if (plan.stages.has("probe")) {
    for (const bin of ["ffprobe", "ffmpeg"]) {
      if (!(await findProgram(bin, config.searchPath))) problems.push(`${bin} is not on PATH, and every clip needs it: ${installHint(bin) ?? "install ffmpeg"}`);
    }
  }
  const n = pocketsphinxSamples(plan, samples);
  if (n > 0 && !(await findProgram(POCKETSPHINX_BIN, config.searchPath))) {
    problems.push(
      `${POCKETSPHINX_BIN} (pocketsphinx) is not on PATH, and ${n} of ${samples.length} samples have no transcript from the source: ` +
        "install it with scripts/setup.sh (apt-get install pocketsphinx pocketsphinx-en-us), give transcripts, or choose --asr none | openai:<model> | gemini:<model>",
    );
  }
  if (problems.length === 0) return;
  throw new MerrError(
    "E_TOOL_MISSING",
    `preflight: ${problems.length} program(s) missing before any work was queued (scripts/setup.sh installs them):\n${problems.map((p) => `  - ${p}`).join("\n")}\n(--no-preflight skips these checks)`,
  );
}
