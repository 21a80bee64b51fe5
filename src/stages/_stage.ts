import type { z } from "zod";
import type { Logger } from "../core/logger.ts";
import type { Sample } from "../core/types.ts";

/**
 * Why a stage produced no output for a sample although nothing broke: the clip has no audio track,
 * no face, no speech, or it did not pass a filter. A skip is an outcome, not a failure: it is recorded
 * with its reason and the run goes on. Stages that need a skipped stage are skipped too.
 */
export interface StageSkip {
  readonly skipped: true;
  /** Short kebab-case reason code: `no-audio`, `no-face`, `filtered-out`, `upstream-skipped`... */
  readonly code: string;
  readonly message: string;
}

export const skip = (code: string, message: string): StageSkip => ({ skipped: true, code, message });

export const isSkip = (value: unknown): value is StageSkip =>
  typeof value === "object" && value !== null && (value as { skipped?: unknown }).skipped === true &&
  typeof (value as { code?: unknown }).code === "string";

/** All a stage gets. There is no job, token or Redis client: the same stage runs in a test and in a worker. */
export interface StageContext {
  readonly runId: string;
  /** Absolute run output directory. */
  readonly outDir: string;
  /** Absolute `<out>/samples/<sample-id>/`; exists when the stage starts. Write files here atomically. */
  readonly sampleDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Reports progress in percent (0..100) with an optional short note. */
  progress(pct: number, note?: string): void;
  /**
   * A value shared by every job of this process, created on first use: loaded models, parsed rule
   * files, model backend clients. Keys should name what they hold (`au-rules:merr`).
   */
  resource<T>(key: string, create: () => Promise<T>): Promise<T>;
  /** Records what shaped the output (tool versions, parameters beyond the options). Saved in the record. */
  provenance(fields: Record<string, unknown>): void;
  /** Process-level settings of the worker that runs the stage (backend URLs, API keys from its env). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * The parts of a sample a stage reads itself (beyond its dependencies' outputs): the media file
 * (`sample.path`: its identity is its size and the SHA-256 of its content, not its path or mtime), the given
 * transcript (`sample.transcript`), the words as spoken when the source gives them apart from a
 * translated subtitle (`sample.spokenTranscript`), the given label (`sample.label`) or only whether
 * it is a MERR label, and which out-of-set label it is (`labelled`). A record is redone when one of them changes, or when a dependency is redone;
 * changes to the others leave it alone.
 */
export type SampleField = "media" | "transcript" | "spokenTranscript" | "label" | "labelled";
export const SAMPLE_FIELDS: readonly SampleField[] = ["media", "transcript", "spokenTranscript", "label", "labelled"];

export interface StageInput<Options, Deps> {
  sample: Sample;
  options: Options;
  deps: Deps;
  /** The skips of the `uses` stages that were skipped (their code and message), by stage: why one is absent. */
  skips: Readonly<Record<string, { code: string; message: string }>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds stages of every shape
export type AnyStage = StageDefinition<string, any, any, any, any>;

/**
 * What identifies a stage's behaviour under `options`: its version, plus the version of the part the
 * options select when the stage declares one ({@link StageDefinition.versionOf}). Stages without it keep
 * the bare number, so their fingerprints do not change.
 */
export function behaviourVersion(stage: AnyStage, options: unknown): number | { version: number; variant: number } {
  const variant = stage.versionOf?.(options);
  return variant === undefined ? stage.version : { version: stage.version, variant };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches stages of any options and dependencies
export type StageOutput<S> = S extends StageDefinition<string, infer Out, any, any, any> ? Out : never;

type DepsOf<Needs extends Record<string, AnyStage>, Uses extends Record<string, AnyStage>> = {
  [K in keyof Needs]: StageOutput<Needs[K]>;
} & { [K in keyof Uses]?: StageOutput<Uses[K]> };

export interface StageDefinition<
  Name extends string,
  Out,
  Opts,
  Needs extends Record<string, AnyStage>,
  Uses extends Record<string, AnyStage>,
> {
  readonly name: Name;
  /** Bump when the stage's behaviour changes: records made by another version are redone. */
  readonly version: number;
  /**
   * The version of a part of the stage that an option selects (one backend's wording, say): bump it
   * instead of `version` and only records made with that option are redone. `undefined` for the others.
   */
  readonly versionOf?: (options: Opts) => number | undefined;
  /**
   * Data files the options name whose content shapes the output (a rule set, a wording file). Their
   * content joins the fingerprint: editing one redoes the stage, as a changed option does.
   */
  readonly dataFiles?: (options: Opts) => string[];
  /**
   * Files beside the clip that `run` may read in its place (an OpenFace CSV next to it), in the order it
   * looks for them. Their content, or their absence, joins the sample's fingerprint of the stage: adding,
   * editing or removing one redoes the stage, as a replaced clip does.
   */
  readonly sampleFiles?: (sample: Sample, options: Opts) => string[];
  /**
   * Loads and checks what the options name (a rule set, a wording file, prompts) before any work is
   * queued: the build's preflight runs it, so a wrong path stops the build at once instead of failing every
   * sample after its face analysis. Throws a MerrError naming the file.
   */
  readonly checkOptions?: (options: Opts) => Promise<void>;
  readonly description: string;
  /**
   * Skip codes after which the sample goes on without this stage's output (a clip without audio gets its
   * captions without a voice): its other stages still run, and it counts as done, with the skip as a note
   * (sample.json `notes`) rather than a reason it is not done.
   */
  readonly partialSkips?: readonly string[];
  /** Stages whose output this stage reads; if one of them is skipped or failed, this stage is skipped. */
  readonly needs: Needs;
  /**
   * Stages whose output this stage reads when present; a skipped one arrives as `undefined` (its skip in
   * `skips`). A failed one skips this stage as a failed `needs` stage does (`upstream-failed`): the sample
   * has failed, and the stage runs with the retried stage's output on the next build.
   */
  readonly uses: Uses;
  /** The sample fields `run` reads (see {@link SampleField}). @defaultValue every field */
  readonly reads: readonly SampleField[];
  readonly options: z.ZodType<Opts>;
  readonly output: z.ZodType<Out>;
  run(input: StageInput<Opts, DepsOf<Needs, Uses>>, ctx: StageContext): Promise<Out | StageSkip>;
}

export interface DefineStageInput<
  Name extends string,
  Out,
  Opts,
  Needs extends Record<string, AnyStage>,
  Uses extends Record<string, AnyStage>,
> {
  name: Name;
  version: number;
  /** See {@link StageDefinition.versionOf}. */
  versionOf?: (options: Opts) => number | undefined;
  /** See {@link StageDefinition.dataFiles}. */
  dataFiles?: (options: Opts) => string[];
  /** See {@link StageDefinition.sampleFiles}. */
  sampleFiles?: (sample: Sample, options: Opts) => string[];
  /** See {@link StageDefinition.checkOptions}. */
  checkOptions?: (options: Opts) => Promise<void>;
  /** See {@link StageDefinition.partialSkips}. */
  partialSkips?: readonly string[];
  description: string;
  needs?: Needs;
  uses?: Uses;
  /** The sample fields `run` reads; a stage that leaves it out is redone when any of them changes. */
  reads?: readonly SampleField[];
  options: z.ZodType<Opts>;
  output: z.ZodType<Out>;
  run(input: StageInput<Opts, DepsOf<Needs, Uses>>, ctx: StageContext): Promise<Out | StageSkip>;
}

const STAGE_NAME = /^[a-z][a-z0-9-]*$/;

/** Declares a stage. Returns its argument (with defaults) for type inference plus a cheap shape check. */
export function defineStage<
  const Name extends string,
  Out,
  Opts,
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  Needs extends Record<string, AnyStage> = {},
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  Uses extends Record<string, AnyStage> = {},
>(def: DefineStageInput<Name, Out, Opts, Needs, Uses>): StageDefinition<Name, Out, Opts, Needs, Uses> {
  if (!STAGE_NAME.test(def.name)) throw new Error(`stage name "${def.name}" must be kebab-case`);
  if (!Number.isInteger(def.version) || def.version < 1) throw new Error(`stage ${def.name}: version must be >= 1`);
  const needs = (def.needs ?? {}) as Needs;
  const uses = (def.uses ?? {}) as Uses;
  for (const [key, dep] of Object.entries({ ...needs, ...uses })) {
    if (key !== dep.name) throw new Error(`stage ${def.name}: dependency key "${key}" must equal the stage name "${dep.name}"`);
  }
  const reads = def.reads ?? SAMPLE_FIELDS;
  for (const f of reads) if (!SAMPLE_FIELDS.includes(f)) throw new Error(`stage ${def.name}: unknown sample field "${f}" in reads`);
  return { ...def, needs, uses, reads };
}
