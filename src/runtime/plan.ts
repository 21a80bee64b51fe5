import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { fileStamp } from "../core/fs.ts";
import { hashJson } from "../core/ids.ts";
import { behaviourVersion, type AnyStage } from "../stages/_stage.ts";
import type { PipelineDefinition, PipelineStage } from "./define.ts";
import { parseStageOptions } from "./run-stage.ts";

/** The job that closes every sample's work: it writes `sample.json` from the stage records. */
export const FINALIZE = "finalize";

export interface PlannedStage {
  name: string;
  stage: AnyStage;
  /** Validated options, defaults filled. */
  options: unknown;
  /** Hash of the content of the data files the options name (`dataFiles`); absent for stages without any. */
  dataHash?: string;
  needs: string[];
  uses: string[];
  /** Pipeline gates (`after`): stages that must be done for this one to run, read for nothing else. */
  gates: string[];
  attempts: number;
  backoffMs: number;
  /** As declared; `resolveConcurrency` (define.ts) turns it into a number for a process. */
  concurrency: number | "cores";
  rateLimit?: { max: number; durationMs: number };
  /** Stages that must have a record before this one runs: its needs, uses and gates (within the pipeline). */
  before: string[];
  /** Stages that read this one (the reverse of `before`): the jobs its end may enqueue. */
  successors: string[];
  /** The stage's skip codes after which the sample goes on ({@link StageDefinition.partialSkips}). */
  partialSkips: string[];
}

export interface Plan {
  pipeline: string;
  stages: Map<string, PlannedStage>;
  /** Topological order (dependencies first). */
  order: string[];
  /** Stages that read no other stage: where a sample's work starts. */
  sources: string[];
  /** Stages no other stage reads: when all of them have a record, finalize runs. */
  sinks: string[];
  /** Hash of every stage's name, version and options: a sample record made under another plan is stale. */
  fingerprint: string;
}

/**
 * Compiles a pipeline into its DAG: every stage with the stages it reads (`before`) and the stages that
 * read it (`successors`), in topological order. Branches that read nothing of each other run in parallel.
 */
export function compilePipeline(
  def: PipelineDefinition,
  overrides: Record<string, Record<string, unknown>> = {},
  rateLimits: Record<string, { max: number; durationMs: number }> = {},
): Plan {
  const byName = new Map<string, PipelineStage>();
  for (const entry of def.stages) {
    if (byName.has(entry.stage.name)) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: stage ${entry.stage.name} listed twice`);
    if (entry.stage.name === FINALIZE) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: "${FINALIZE}" is reserved`);
    byName.set(entry.stage.name, entry);
  }
  for (const name of [...Object.keys(overrides), ...Object.keys(rateLimits)]) {
    if (!byName.has(name)) {
      throw new MerrError("E_USAGE", `options given for stage "${name}", which pipeline ${def.name} does not have (stages: ${[...byName.keys()].join(", ")})`);
    }
  }
  // A zod object drops keys it does not know: a misspelt option would vanish without a word.
  const unknownOptions = Object.entries(overrides).flatMap(([name, given]) => {
    const known = optionKeys((byName.get(name) as PipelineStage).stage.options);
    const unknown = known ? Object.keys(given).filter((k) => !known.includes(k)) : [];
    const theirs = known?.length ? `its options: ${known.join(", ")}` : "it has no options";
    return unknown.map((k) => `stage "${name}" has no option "${k}" (${theirs})`);
  });
  if (unknownOptions.length > 0) throw new MerrError("E_USAGE", `${unknownOptions.join("; ")}; set one with --set stage.option=value`);
  const stages = new Map<string, PlannedStage>();
  for (const [name, entry] of byName) {
    const needs = Object.keys(entry.stage.needs);
    for (const n of needs) {
      if (!byName.has(n)) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: stage ${name} needs ${n}, which is not in the pipeline`);
    }
    const uses = Object.keys(entry.stage.uses).filter((u) => byName.has(u));
    const gates = (entry.after ?? []).map((g) => g.name);
    for (const g of gates) {
      if (!byName.has(g)) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: stage ${name} runs after ${g}, which is not in the pipeline`);
    }
    const options = parseStageOptions(entry.stage, { ...(entry.options ?? {}), ...(overrides[name] ?? {}) });
    const files = entry.stage.dataFiles?.(options);
    stages.set(name, {
      name,
      stage: entry.stage,
      options,
      ...(files?.length ? { dataHash: dataFilesHash(files) } : {}),
      needs,
      uses,
      gates,
      attempts: entry.attempts ?? 3,
      backoffMs: entry.backoffMs ?? 2000,
      concurrency: entry.concurrency ?? 2,
      rateLimit: rateLimits[name] ?? entry.rateLimit,
      before: [...new Set([...needs, ...uses, ...gates])],
      successors: [],
      partialSkips: [...(entry.stage.partialSkips ?? [])],
    });
  }
  const order = topoSort(def.name, stages);
  for (const name of order) for (const b of stages.get(name)?.before ?? []) stages.get(b)?.successors.push(name);
  const sources = order.filter((n) => (stages.get(n)?.before.length ?? 0) === 0);
  const sinks = order.filter((n) => (stages.get(n)?.successors.length ?? 0) === 0);
  const fingerprint = hashJson({
    pipeline: def.name,
    stages: order.map((n) => {
      const s = stages.get(n) as PlannedStage;
      return [n, behaviourVersion(s.stage, s.options), s.options, ...(s.dataHash ? [s.dataHash] : [])];
    }),
  });
  return { pipeline: def.name, stages, order, sources, sinks, fingerprint };
}

/** The option names a stage's schema knows: its object's keys (through a transform); undefined when it is no object. */
function optionKeys(schema: z.ZodType): string[] | undefined {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return optionKeys(schema.in as z.ZodType);
  return undefined;
}

/** Content hashes of data files, per process, while a file's mtime and size stay the same. */
const fileHashes = new Map<string, { stamp: string; hash: string | null }>();

/**
 * One hash over the content of `files` (in order; a file that cannot be read counts as missing: the
 * stage reports it when it runs). Computed when the pipeline is compiled and by a worker before each job
 * (executeStageJob): each file is hashed again only when it changed.
 */
export function dataFilesHash(files: readonly string[]): string {
  return hashJson(files.map((f) => {
    const stamp = fileStamp(f);
    const known = fileHashes.get(f);
    if (known?.stamp === stamp) return known.hash;
    let hash: string | null;
    try {
      hash = createHash("sha256").update(readFileSync(f)).digest("hex");
    } catch {
      hash = null;
    }
    fileHashes.set(f, { stamp, hash });
    return hash;
  }));
}

function topoSort(pipeline: string, stages: Map<string, PlannedStage>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): void => {
    const st = state.get(name);
    if (st === "done") return;
    if (st === "visiting") throw new MerrError("E_CONFIG_INVALID", `pipeline ${pipeline}: dependency cycle ${[...trail, name].join(" -> ")}`);
    state.set(name, "visiting");
    for (const b of stages.get(name)?.before ?? []) visit(b, [...trail, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of stages.keys()) visit(name, []);
  return order;
}
