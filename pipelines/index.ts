import { MerrError } from "../src/core/errors.ts";
import type { PipelineDefinition } from "../src/runtime/define.ts";
import media from "./media.ts";
import merr from "./merr.ts";

/** The pipelines `merr build --pipeline` accepts. */
export const PIPELINES: ReadonlyMap<string, PipelineDefinition> = new Map([merr, media].map((p) => [p.name, p]));

export const DEFAULT_PIPELINE = "merr";

export function getPipeline(name: string): PipelineDefinition {
  const p = PIPELINES.get(name);
  if (!p) throw new MerrError("E_USAGE", `unknown --pipeline "${name}"; choose one of ${[...PIPELINES.keys()].join(", ")}`);
  return p;
}
