import { z } from "zod";
import { defineStage, type AnyStage, type StageContext } from "../src/stages/_stage.ts";
import type { Sample } from "../src/core/types.ts";

/**
 * `count` stages named `<prefix>-1..count`, each needing the previous one: the longest path a pipeline can
 * have, for the benchmarks. `step` computes a stage's output from the previous output (undefined for the first).
 */
export function chainStages<Out extends Record<string, unknown>>(
  prefix: string,
  count: number,
  output: z.ZodType<Out>,
  step: (i: number, sample: Sample, previous: Out | undefined, ctx: StageContext) => Promise<Out>,
): AnyStage[] {
  const stages: AnyStage[] = [];
  for (let i = 1; i <= count; i++) {
    const prev = stages[i - 2];
    stages.push(
      defineStage({
        name: `${prefix}-${i}`,
        version: 1,
        description: `benchmark stage ${i} of ${count}`,
        needs: prev ? { [prev.name]: prev } : {},
        options: z.object({}),
        output,
        run: ({ sample, deps }, ctx) => step(i, sample, Object.values(deps)[0] as Out | undefined, ctx),
      }) as AnyStage,
    );
  }
  return stages;
}
