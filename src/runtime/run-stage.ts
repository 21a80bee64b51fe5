import type { z } from "zod";
import { MerrError } from "../core/errors.ts";
import { SampleSchema } from "../core/records.ts";
import type { Sample } from "../core/types.ts";
import { isSkip, type AnyStage, type StageContext, type StageSkip } from "../stages/_stage.ts";

export type StageResult = { status: "done"; output: unknown } | { status: "skipped"; skip: StageSkip };

/** Formats zod issues as `path: message` lines. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

/** Validates options against a stage's schema and fills defaults. */
export function parseStageOptions(stage: AnyStage, raw: unknown): unknown {
  const parsed = stage.options.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new MerrError("E_CONFIG_INVALID", `stage ${stage.name}: invalid options: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Runs one stage on one sample: validates the input (sample, options, dependency outputs), runs it,
 * validates the output. Tests and workers call exactly this. `deps` holds the outputs of the stage's
 * `needs` and `uses` (a missing `uses` entry is fine).
 */
export async function runStage(
  stage: AnyStage,
  raw: { sample: Sample; options?: unknown; deps?: Record<string, unknown>; skips?: Record<string, { code: string; message: string }> },
  ctx: StageContext,
): Promise<StageResult> {
  const sample = SampleSchema.safeParse(raw.sample);
  if (!sample.success) throw new MerrError("E_INPUT_INVALID", `stage ${stage.name}: invalid sample: ${formatIssues(sample.error)}`);
  const options = parseStageOptions(stage, raw.options);
  const deps: Record<string, unknown> = {};
  const rawDeps = raw.deps ?? {};
  for (const [name, dep] of Object.entries(stage.needs as Record<string, AnyStage>)) {
    if (!(name in rawDeps) || rawDeps[name] === undefined) {
      throw new MerrError("E_INPUT_INVALID", `stage ${stage.name}: missing output of required stage ${name}`);
    }
    deps[name] = parseDep(stage, dep, rawDeps[name]);
  }
  for (const [name, dep] of Object.entries(stage.uses as Record<string, AnyStage>)) {
    if (rawDeps[name] !== undefined) deps[name] = parseDep(stage, dep, rawDeps[name]);
  }
  ctx.signal.throwIfAborted();
  let result: unknown;
  try {
    result = await stage.run({ sample: sample.data as Sample, options, deps, skips: raw.skips ?? {} }, ctx);
  } catch (error) {
    throw withOptionHint(stage, options, error);
  }
  if (isSkip(result)) return { status: "skipped", skip: { skipped: true, code: result.code, message: result.message } };
  const output = stage.output.safeParse(result);
  if (!output.success) {
    throw new MerrError("E_INTERNAL", `stage ${stage.name}: output does not match its schema: ${formatIssues(output.error)}`);
  }
  return { status: "done", output: output.data };
}

/**
 * A model answer cut off at the token limit (`details.tokenLimit`, see the model adapters) that the stage's
 * own `maxTokens` option set: the message names the option to raise (`--set fine.maxTokens=800`). A stage
 * whose limit is fixed (audio-tone asks for 96 tokens) has no option to name. Returns `error`.
 */
function withOptionHint(stage: AnyStage, options: unknown, error: unknown): unknown {
  if (!(error instanceof MerrError) || error.details?.tokenLimit === undefined) return error;
  const value = (options as { maxTokens?: unknown } | undefined)?.maxTokens;
  if (typeof value !== "number" || value !== error.details.tokenLimit) return error;
  error.message += `; raise the stage option ${stage.name}.maxTokens (now ${value}), e.g. --set ${stage.name}.maxTokens=${value * 2}`;
  return error;
}

function parseDep(stage: AnyStage, dep: AnyStage, value: unknown): unknown {
  const parsed = dep.output.safeParse(value);
  if (!parsed.success) {
    throw new MerrError(
      "E_INPUT_INVALID",
      `stage ${stage.name}: output of ${dep.name} does not match its schema (made by another version?): ${formatIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}
