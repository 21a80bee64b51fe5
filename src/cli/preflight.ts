import type { Config } from "../core/config.ts";
import type { Logger } from "../core/logger.ts";
import type { Plan } from "../runtime/plan.ts";
import { buildStageSettings } from "./settings.ts";

/**
 * `merr build`'s preflight: every model backend and program the plan's stages will use is checked before
 * anything is queued, so a wrong URL, key or model name stops the build in seconds instead of failing
 * every sample hours later. Prints one line per passed check on stderr.
 */
export async function preflightBuild(plan: Plan, config: Config, signal: AbortSignal, logger: Logger): Promise<void> {
  const { preflightTargetsOfPlan, runPreflight } = await import("../runtime/preflight.ts");
  const settings = buildStageSettings(config);
  const targets = preflightTargetsOfPlan(plan, settings);
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
