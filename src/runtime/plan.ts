import { MerrError } from "../core/errors.ts";
import { hashJson } from "../core/ids.ts";
import type { AnyStage } from "../stages/_stage.ts";
import type { PipelineDefinition, PipelineStage } from "./define.ts";
import { parseStageOptions } from "./run-stage.ts";

/** The stage that closes every sample's flow: it writes `sample.json` from the stage records. */
export const FINALIZE = "finalize";

export interface PlannedStage {
  name: string;
  stage: AnyStage;
  /** Validated options, defaults filled. */
  options: unknown;
  needs: string[];
  uses: string[];
  attempts: number;
  backoffMs: number;
  concurrency: number;
  rateLimit?: { max: number; durationMs: number };
  /** Stages that must finish before this one (needs + uses + after, within the pipeline). */
  before: string[];
  /** Children in the flow tree (each runs before this stage). */
  children: string[];
}

export interface Plan {
  pipeline: string;
  stages: Map<string, PlannedStage>;
  /** Topological order (dependencies first). */
  order: string[];
  /** Children of the finalize root. */
  roots: string[];
  /** Hash of every stage's name, version and options: a sample record made under another plan is stale. */
  fingerprint: string;
}

/**
 * Compiles a pipeline into the tree a BullMQ flow needs. A flow runs a parent after all its children, so
 * every stage must sit below all stages that read it. A stage read by two branches that run in parallel
 * cannot be placed: the error says which `after` edge makes the order explicit.
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
  const stages = new Map<string, PlannedStage>();
  for (const [name, entry] of byName) {
    const needs = Object.keys(entry.stage.needs);
    for (const n of needs) {
      if (!byName.has(n)) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: stage ${name} needs ${n}, which is not in the pipeline`);
    }
    const uses = Object.keys(entry.stage.uses).filter((u) => byName.has(u));
    for (const a of entry.after ?? []) {
      if (!byName.has(a)) throw new MerrError("E_CONFIG_INVALID", `pipeline ${def.name}: stage ${name} is after ${a}, which is not in the pipeline`);
    }
    stages.set(name, {
      name,
      stage: entry.stage,
      options: parseStageOptions(entry.stage, { ...(entry.options ?? {}), ...(overrides[name] ?? {}) }),
      needs,
      uses,
      attempts: entry.attempts ?? 3,
      backoffMs: entry.backoffMs ?? 2000,
      concurrency: entry.concurrency ?? 2,
      rateLimit: rateLimits[name] ?? entry.rateLimit,
      before: [...new Set([...needs, ...uses, ...(entry.after ?? [])])],
      children: [],
    });
  }
  const order = topoSort(def.name, stages);
  const consumers = new Map<string, string[]>(order.map((n) => [n, []]));
  for (const s of stages.values()) for (const b of s.before) consumers.get(b)?.push(s.name);

  // Place stages from the last to the first: each goes under its deepest consumer, which must have
  // every other consumer among its ancestors.
  const parent = new Map<string, string>();
  const ancestors = (name: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(name); p !== undefined && p !== FINALIZE; p = parent.get(p)) out.push(p);
    return out;
  };
  for (const name of [...order].reverse()) {
    const cs = consumers.get(name) ?? [];
    if (cs.length === 0) {
      parent.set(name, FINALIZE);
      continue;
    }
    const deepest = cs.find((c) => cs.every((o) => o === c || ancestors(c).includes(o)));
    if (!deepest) {
      throw new MerrError(
        "E_CONFIG_INVALID",
        `pipeline ${def.name}: stage ${name} is read by ${cs.join(" and ")}, which would run in parallel; ` +
          `a flow is a tree, so order them (add \`after: ["${cs[0]}"]\` to ${cs[1]} or the reverse)`,
      );
    }
    parent.set(name, deepest);
  }
  const roots: string[] = [];
  for (const name of order) {
    const p = parent.get(name);
    if (p === FINALIZE) roots.push(name);
    else if (p) stages.get(p)?.children.push(name);
  }
  const fingerprint = hashJson({
    pipeline: def.name,
    stages: order.map((n) => {
      const s = stages.get(n) as PlannedStage;
      return [n, s.stage.version, s.options];
    }),
  });
  return { pipeline: def.name, stages, order, roots, fingerprint };
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
