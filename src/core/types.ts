/**
 * Terminology (use these words, no synonyms):
 *
 * - **run**: one `merr build` over one output directory. Its id (`runId`) is fixed in `<out>/run.json`,
 *   so building again into the same directory resumes the same run.
 * - **sample**: one input clip, with a file-name-safe `id` (MERR's "name", e.g. `sample_00000003`).
 * - **source**: where samples come from (`sample`, `folder`, `manifest`, `mer2023-semi`, ...).
 * - **stage**: a function from validated input to validated output for one sample (`defineStage`).
 *   Stages know nothing about queues.
 * - **pipeline**: data naming the stages of a run and their order (`definePipeline`, in `pipelines/`).
 * - **job**: one stage for one sample in one run, id `<runId>.<sampleId>.<stage>`.
 * - **queue**: one BullMQ queue per stage, named after the stage.
 * - **worker profile**: which stage queues a worker process serves and how many jobs at a time (`workers/`).
 * - **backend**: an implementation of a model capability (`builtin`, `ollama`, `gemini`, `openai`).
 * - **record**: what a stage left for a sample on disk (`<out>/samples/<id>/stages/<stage>.json`): status,
 *   output, provenance. Records are the source of truth for "done"; Redis holds the work in flight.
 */

/** One input clip. Small JSON: it travels in every job payload. */
export interface Sample {
  /** File-name-safe id, unique within the run. */
  id: string;
  /** Absolute path of the clip. */
  path: string;
  /** Where it came from (`sample`, `folder`, ...). */
  source: string;
  /** Ground-truth or given label, when the source has one (raw, as the source spells it). */
  label?: string;
  /** Given transcript (subtitle), when the source has one. */
  transcript?: string;
  /**
   * The words as spoken, when the source gives them apart from a translated subtitle (MER2023's `chinese`
   * column beside its English sentences). Only the speaking rate reads it (syllables); never a caption.
   */
  spokenTranscript?: string;
}

/** True when the source gave the sample a subtitle: an empty or blank cell is none (speech recognition runs). */
export const hasGivenTranscript = (sample: Pick<Sample, "transcript">): boolean => (sample.transcript?.trim() ?? "") !== "";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
