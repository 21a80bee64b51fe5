import { MerrError } from "../src/core/errors.ts";
import type { PipelineDefinition } from "../src/runtime/define.ts";
import media from "./media.ts";

/** The pipelines `merr build --pipeline` accepts. The first is the default. */
export const PIPELINES: ReadonlyMap<string, PipelineDefinition> = new Map([[media.name, media]]);

export const DEFAULT_PIPELINE = "media";

export function getPipeline(name: string): PipelineDefinition {
  const p = PIPELINES.get(name);
  if (!p) throw new MerrError("E_USAGE", `unknown --pipeline "${name}"; choose one of ${[...PIPELINES.keys()].join(", ")}`);
  return p;
}
