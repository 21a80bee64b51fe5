import { createHash } from "node:crypto";
import type { MerrEntry } from "../core/merr-entry.ts";
import { csvSentence, emptySentenceOf } from "./csv.ts";
import type { Selection } from "./select.ts";

/** Emotion-LLaMA's task tags: the label, the coarse caption, the fine reasoning. */
export const SHAREGPT_TASKS = ["emotion", "reason", "reason_v2"] as const;
export type ShareGptTask = (typeof SHAREGPT_TASKS)[number];

/** The trainer's emotion instruction (its label order, not the loader's). */
export const EMOTION_INSTRUCTION =
  "Please determine which emotion label in the video represents: happy, sad, neutral, angry, worried, surprise, fear, contempt, doubt.";

/** The trainer's reason instruction pool; one is drawn per sample. */
export const REASON_INSTRUCTIONS = [
  "Please analyze all the clues in the video and reason out the emotional label of the person in the video.",
  "What is the emotional state of the person in the video? Please tell me the reason.",
  "What are the facial expressions and vocal tone used in the video? What is the intended meaning behind his words? Which emotion does this reflect?",
  "Please integrate information from various modalities to infer the emotional category of the person in the video.",
  "Could you describe the emotion-related features of the individual in the video? What emotional category do they fall into?",
] as const;

export interface ShareGptOptions {
  /** @defaultValue all three */
  tasks: readonly ShareGptTask[];
  /** Seed of the instruction choice. */
  seed: string;
  /**
   * `raw` keeps captions as written; `trainer` applies Emotion-LLaMA's target preprocessing (lower case,
   * `. ! " ( ) * # : ; ~` removed, cut at 200 words) so the targets equal what it trains on.
   * @defaultValue `"raw"`
   */
  targets: "raw" | "trainer";
  /**
   * The entry's video and audio inside the export, relative to the export folder (`videos/<name>.mp4`,
   * `audios/<name>.wav`); a record lists only what this returns. @defaultValue no media
   */
  media?: (entry: MerrEntry) => { video?: string; audio?: string };
  emptySentence?: string;
}

export interface ShareGptMessage {
  role: "user" | "assistant";
  content: string;
}
export interface ShareGptRecord {
  id: string;
  messages: ShareGptMessage[];
  videos: string[];
  audios: string[];
}

/** Emotion-LLaMA's target preprocessing. */
export function trainerTarget(text: string): string {
  return text.toLowerCase().replace(/[.!"()*#:;~]/g, "").split(/\s+/).filter(Boolean).slice(0, 200).join(" ");
}

/** A seeded choice from the reason pool: the same sample always gets the same instruction. */
export function reasonInstruction(seed: string, name: string, task: ShareGptTask): string {
  const h = createHash("sha256").update(`${seed}\u0000${name}\u0000${task}`).digest();
  return REASON_INSTRUCTIONS[h.readUInt32BE(0) % REASON_INSTRUCTIONS.length]!;
}

/**
 * The user turn: media tags on the first line (one tag per listed file, so `<video>`/`<audio>` counts match
 * `videos`/`audios`), then the trainer's prompt body with real newlines.
 */
export function userContent(opts: { video: boolean; audio: boolean; sentence: string; task: ShareGptTask; instruction: string }): string {
  const tags = `${opts.video ? "<video>" : ""}${opts.audio ? "<audio>" : ""}`;
  const said = /[.!?]$/.test(opts.sentence) ? opts.sentence : `${opts.sentence}.`;
  const body = `The person in video says: ${said}\n[${opts.task}] ${opts.instruction}`;
  return tags ? `${tags}\n${body}` : body;
}

/** The same records, lazily. */
export function* shareGptRecords(sel: Selection, options: ShareGptOptions): Generator<ShareGptRecord> {
  const coarse = new Map(sel.coarse.map((s) => [s.entry.name, s]));
  const fine = new Map(sel.fine.map((s) => [s.entry.name, s]));
  const names = [...new Set([...coarse.keys(), ...fine.keys()])].sort();
  const target = (t: string): string => (options.targets === "trainer" ? trainerTarget(t) : t);
  for (const name of names) {
    const c = coarse.get(name);
    const f = fine.get(name);
    const entry = (f ?? c)!.entry;
    // The fine set's label (the ground truth or a reviewer's), else the coarse list's (the sample's own
    // label where it has one: select.ts, coarseLabels).
    const label = (f ?? c)!.label;
    const { video, audio } = options.media?.(entry) ?? {};
    const sentence = csvSentence(entry.text, emptySentenceOf(entry, options.emptySentence));
    for (const task of options.tasks) {
      const answer = task === "emotion" ? label : task === "reason" ? c?.entry.caption : f?.entry.reason;
      if (answer === undefined) continue;
      const instruction = task === "emotion" ? EMOTION_INSTRUCTION : reasonInstruction(options.seed, name, task);
      yield {
        id: `${name}.${task}`,
        messages: [
          { role: "user", content: userContent({ video: !!video, audio: !!audio, sentence, task, instruction }) },
          { role: "assistant", content: task === "emotion" ? answer : target(answer) },
        ],
        videos: video ? [video] : [],
        audios: audio ? [audio] : [],
      };
    }
  }
}

/** LLaMA-Factory's `dataset_info.json` entry for the file. */
export function shareGptDatasetInfo(fileName: string, datasetName = "merr"): Record<string, unknown> {
  return {
    [datasetName]: {
      file_name: fileName,
      formatting: "sharegpt",
      columns: { messages: "messages", videos: "videos", audios: "audios" },
      tags: { role_tag: "role", content_tag: "content", user_tag: "user", assistant_tag: "assistant" },
    },
  };
}

/** A JSON array as lines, one record per line (stable, diff-friendly, streamed). */
export function* jsonArrayLines(records: Iterable<unknown>): Generator<string> {
  let previous: string | undefined;
  yield "[";
  for (const r of records) {
    if (previous !== undefined) yield `${previous},`;
    previous = `  ${JSON.stringify(r)}`;
  }
  if (previous !== undefined) yield previous;
  yield "]";
}
