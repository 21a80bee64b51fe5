import { checkModelBackend, MODEL_BACKEND_NAMES, parseModelSettings, parseModelSpec, type BackendCheck, type ModelBackendName } from "../adapters/models/index.ts";
import { findProgram } from "../adapters/tools/find-program.ts";
import { coerceError, MerrError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Plan } from "./plan.ts";

/** What a preflight checks: model specs (with the stages that use them) and programs. */
export interface PreflightTargets {
  /** `ollama:llava` -> stages using it. */
  models: Map<string, string[]>;
  /** Backends to check without a model (a worker knows servers, not models). */
  backends: ModelBackendName[];
  /** OpenFace: the binary, and whether it runs under xvfb-run. */
  openface?: { bin: string; xvfb: boolean; stage: string };
  /** A `merr worker`'s check: its environment, not a build's flags, names what it checks. */
  worker?: boolean;
  /** The stages' own checks of what their options name (rule sets, wording, prompts: `checkOptions`). */
  data?: Array<{ stage: string; check: () => Promise<void> }>;
}

const SPEC = new RegExp(`^(${[...MODEL_BACKEND_NAMES, "openai-compat"].join("|")}):\\S`);

/**
 * The model backends and programs a plan will use: every stage option whose value is a model spec
 * (`backend`, `asr`, ... = `ollama:llava`), and OpenFace when au-extract runs it. `settings` are the
 * stages' settings (`openfaceBin` from OPENFACE_BIN).
 */
export function preflightTargetsOfPlan(plan: Plan, settings: Readonly<Record<string, unknown>>): PreflightTargets {
  const models = new Map<string, string[]>();
  let openface: PreflightTargets["openface"];
  const data: NonNullable<PreflightTargets["data"]> = [];
  for (const name of plan.order) {
    const stage = plan.stages.get(name);
    const options = (stage?.options ?? {}) as Record<string, unknown>;
    const checkOptions = stage?.stage.checkOptions;
    if (checkOptions) data.push({ stage: name, check: () => checkOptions(stage.options) });
    for (const value of Object.values(options)) {
      if (typeof value !== "string" || !SPEC.test(value.trim())) continue;
      const spec = parseModelSpec(value).spec;
      models.set(spec, [...(models.get(spec) ?? []), name]);
    }
    // With reuseCsv the binary is needed only for clips without a CSV: not worth stopping the build for.
    if (options.extractor === "openface" && options.reuseCsv !== true) {
      const fromSettings = typeof settings.openfaceBin === "string" ? settings.openfaceBin : undefined;
      const bin = (typeof options.openfaceBin === "string" ? options.openfaceBin : undefined) ?? fromSettings ?? "FeatureExtraction";
      openface = { bin, xvfb: options.xvfb === true, stage: name };
    }
  }
  return { models, backends: [], ...(openface ? { openface } : {}), data };
}

/**
 * What a worker of these stages can check before it takes jobs: the backends whose server or key the
 * environment sets (the models come with the jobs), and OpenFace when OPENFACE_BIN is set.
 */
export function preflightTargetsOfWorker(stages: readonly string[], settings: Readonly<Record<string, unknown>>): PreflightTargets {
  const models = parseModelSettings(settings.models);
  const modelStages = ["transcript", "audio-tone", "visual-describe", "fine"];
  const backends = stages.some((s) => modelStages.includes(s))
    ? MODEL_BACKEND_NAMES.filter((b) => models[b].baseUrl !== undefined || models[b].apiKey !== undefined)
    : [];
  const bin = typeof settings.openfaceBin === "string" ? settings.openfaceBin : undefined;
  return { models: new Map(), backends, worker: true, ...(bin && stages.includes("au-extract") ? { openface: { bin, xvfb: false, stage: "au-extract" } } : {}) };
}

export interface PreflightDeps {
  fetch?: typeof fetch;
  /** PATH, to find programs without starting them. */
  searchPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Checks every target at once and throws one MerrError listing every problem, each with its URL, the
 * variable that sets it and the fix (code: the first problem's). Returns one line per check that passed.
 */
export async function runPreflight(targets: PreflightTargets, settings: Readonly<Record<string, unknown>>, deps: PreflightDeps): Promise<string[]> {
  const models = parseModelSettings(settings.models);
  const checkDeps = { ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}), ...(deps.signal ? { signal: deps.signal } : {}) };
  const modelChecks = [...targets.models].map(async ([spec, stages]): Promise<BackendCheck & { stages: string[] }> => {
    const parsed = parseModelSpec(spec);
    return { ...(await checkModelBackend(parsed.backend, parsed.model, models, checkDeps)), stages };
  });
  const backendChecks = targets.backends.map(async (b): Promise<BackendCheck & { stages: string[] }> => ({ ...(await checkModelBackend(b, undefined, models, checkDeps)), stages: [] }));
  const checks = await Promise.all([...modelChecks, ...backendChecks]);
  const problems: Array<{ code: MerrError["code"]; message: string }> = [];
  const passed: string[] = [];
  for (const c of checks) {
    const used = c.stages.length > 0 ? ` (${c.stages.join(", ")})` : "";
    if (c.ok) passed.push(`${c.message}${used}`);
    else problems.push({ code: c.code ?? "E_MODEL_UNAVAILABLE", message: `${c.message}${used}` });
  }
  if (targets.openface) {
    const { bin, xvfb, stage } = targets.openface;
    const found = await findProgram(bin, deps.searchPath);
    if (!found) {
      const where = bin.includes("/") ? `no executable file at ${bin}` : `"${bin}" is not on PATH`;
      const fix = targets.worker
        ? "OPENFACE_BIN in this worker's environment names it: set it to the binary on this machine, or unset it when the builds use the built-in face analyzer"
        : "point merr at it with --openface-bin PATH or the OPENFACE_BIN environment variable, or use --extractor builtin";
      problems.push({ code: "E_TOOL_MISSING", message: `OpenFace FeatureExtraction was not found (${where}); ${fix} (${stage})` });
    }
    else passed.push(`OpenFace: ${found} (${stage})`);
    if (xvfb && !(await findProgram("xvfb-run", deps.searchPath))) {
      problems.push({ code: "E_TOOL_MISSING", message: `xvfb-run is not on PATH (--xvfb); install it with: sudo apt-get install xvfb (or run scripts/setup.sh)` });
    }
  }
  for (const { stage, check } of targets.data ?? []) {
    try {
      await check();
    } catch (error) {
      const e = coerceError(error);
      problems.push({ code: e.code, message: `${e.reason} (${stage})` });
    }
  }
  if (problems.length > 0) {
    // A problem of several lines (a rule file's issues) keeps its lines under its own bullet.
    const lines = problems.map((p) => `  - [${p.code}] ${p.message.replace(/\n/g, "\n    ")}`);
    const when = targets.worker ? "before this worker took any job" : "before any work was queued";
    throw new MerrError(problems[0]!.code, `preflight: ${problems.length} problem(s) ${when}:\n${lines.join("\n")}\n(--no-preflight skips these checks)`, {
      details: { problems },
    });
  }
  deps.logger?.info({ checks: passed, dataFiles: (targets.data ?? []).map((d) => d.stage) }, "preflight passed");
  return passed;
}
