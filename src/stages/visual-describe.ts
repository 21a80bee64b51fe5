import { readFile } from "node:fs/promises";
import { z } from "zod";
import { loadFaceSidecar } from "../adapters/face/index.ts";
import { answerIsRefusal, checkEnglish, looksLikeRefusal, modelClientFromContext, parseJsonAnswer, parseModelSpec } from "../adapters/models/index.ts";
import { MerrError } from "../core/errors.ts";
import { loadPrompt, promptFile, renderPrompt } from "../core/prompts.ts";
import { parseOpenFaceCsv } from "../core/openface-csv.ts";
import { describePoseGaze, describeVisualClues, poseGazeClues, visualClues } from "../core/visual-description.ts";
import { specOption } from "./_options.ts";
import { defineStage, skip } from "./_stage.ts";
import { auExtract } from "./au-extract.ts";
import { peakFrame } from "./peak-frame.ts";
import { sampleFrames } from "./sample-frames.ts";

export const VisualDescribeOptions = z.object({
  /** `builtin` (words from the face analyzer's measurements) or a model spec such as `ollama:llava:13b`. @defaultValue "builtin" */
  backend: specOption((s) => s === "builtin" || parseModelSpec(s)).default("builtin"),
  /** Extra frames from sample-frames sent with the peak frame to a model (spread over the clip). @defaultValue 0 */
  extraFrames: z.number().int().min(0).max(8).default(0),
  /** @defaultValue 400 */
  maxTokens: z.number().int().positive().default(400),
  /** @defaultValue 0.2 */
  temperature: z.number().min(0).max(2).default(0.2),
});
export type VisualDescribeOptions = z.infer<typeof VisualDescribeOptions>;

const SUBJECTS = ["man", "woman", "boy", "girl", "person"] as const;

export const VisualDescribeOutput = z.object({
  /** `builtin` or the model spec. */
  backend: z.string(),
  /** How captions refer to the person. */
  subject: z.enum(SUBJECTS),
  /** A phrase completing "This person in the video is ..." (MERR's visual objective description). */
  objective: z.string().min(1),
  description: z.string().min(1),
  promptId: z.string().optional(),
  model: z.string().optional(),
  cached: z.boolean().optional(),
  /** builtin: the measurements the words came from (null only in records of version 1). */
  clues: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type VisualDescribeOutput = z.infer<typeof VisualDescribeOutput>;

/** Checks a model's visual description (pure): E_MODEL_OUTPUT_INVALID when a field is missing or overlong. */
export function parseVisualAnswer(text: string, source: string): { subject: (typeof SUBJECTS)[number]; objective: string; description: string } {
  const json = parseJsonAnswer(text, source);
  const field = (name: string, max: number): string => {
    const value = json[name];
    if (typeof value !== "string" || value.trim() === "") throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: answer has no "${name}"`);
    if (value.length > max) throw new MerrError("E_MODEL_OUTPUT_INVALID", `${source}: "${name}" longer than ${max} characters`);
    return value.trim();
  };
  const objective = field("objective", 300)
    .replace(/^(?:the|this) (?:person|man|woman|boy|girl) in the video is\s+/i, "")
    .replace(/[.\s]+$/, "");
  const rawSubject = typeof json.subject === "string" ? json.subject.trim().toLowerCase() : "person";
  const subject = (SUBJECTS as readonly string[]).includes(rawSubject) ? (rawSubject as (typeof SUBJECTS)[number]) : "person";
  const description = field("description", 1500);
  checkEnglish(`${objective}. ${description}`, source);
  return { subject, objective, description };
}

/** Up to `n` frames spread over the clip, skipping the one closest to the peak. */
export function pickExtraFrames(frames: Array<{ timeS: number; path: string }>, peakTimeS: number, n: number): string[] {
  if (n <= 0 || frames.length === 0) return [];
  const others = [...frames].sort((a, b) => Math.abs(a.timeS - peakTimeS) - Math.abs(b.timeS - peakTimeS)).slice(1);
  const ordered = others.sort((a, b) => a.timeS - b.timeS);
  if (ordered.length <= n) return ordered.map((f) => f.path);
  return Array.from({ length: n }, (_, i) => ordered[Math.floor(((i + 0.5) * ordered.length) / n)]!.path);
}

/** The prompt of a model backend. */
const DESCRIBE_PROMPT = "visual-describe/describe";

export const visualDescribe = defineStage({
  name: "visual-describe",
  reads: [],
  // 2: without a sidecar (OpenFace), pose and gaze from the CSV or a no-measurements skip, never canned text.
  // 3: gaze judged over +-0.25 s of the peak, and not stated between 0.2 and 0.35 rad.
  version: 3,
  // The sample goes on without it: its captions leave the visual description out, when nothing was
  // measured or the image model refused to describe the frame (a caption is still made from the face's
  // AUs, the voice and the words). (Its `no-face` stays a reason: au-extract found faces, so a sidecar
  // without any contradicts it.)
  partialSkips: ["no-measurements", "refused"],
  // The builtin wording (2: mid-range brightness is "moderate light", not "even light": only the level is
  // measured; 3: a head turned 35 degrees or more is "turned well away from the camera", not "facing the
  // camera with the head turned well to the side"; 4: the head's poses in one list, "the head turned to the
  // side and tilted, the chin raised", and "but looking toward the camera" from a head turned well away).
  // Model backends: 1: a refusal is the partial skip `refused` (the sample goes on without the visual
  // clue), no longer `filtered-out` (which dropped the sample); the answer cache keeps it a cheap redo.
  // 2: an answer in another language than English is asked again, then fails the try (it went into the
  // English captions).
  versionOf: (options) => (options.backend === "builtin" ? 4 : 2),
  // A model backend is asked with this prompt: editing it redoes the stage (the answer cache keys the prompt text too).
  dataFiles: (options) => (options.backend === "builtin" ? [] : [promptFile(DESCRIBE_PROMPT)]),
  checkOptions: async (options) => {
    if (options.backend !== "builtin") loadPrompt(DESCRIBE_PROMPT);
  },
  description: "MERR step 3: visual objective description of the person, scene and gestures (builtin measurements or an image model)",
  needs: { "peak-frame": peakFrame, "au-extract": auExtract },
  uses: { "sample-frames": sampleFrames },
  options: VisualDescribeOptions,
  output: VisualDescribeOutput,
  async run({ options, deps }, ctx) {
    const peak = deps["peak-frame"];
    if (options.backend === "builtin") {
      const extract = deps["au-extract"];
      const sidecar = await loadFaceSidecar(extract.sidecarPath);
      if (sidecar) {
        const clues = visualClues(sidecar, peak.timeS);
        if (!clues) return skip("no-face", `no frame with a face in ${extract.sidecarPath}`);
        const described = describeVisualClues(clues);
        ctx.provenance({ visualDescribe: "builtin", measurements: "sidecar" });
        return { backend: "builtin", subject: "person" as const, objective: described.objective, description: described.description, clues: { ...clues } };
      }
      // No sidecar (OpenFace): describe the head pose and gaze the CSV holds, or say nothing.
      const table = parseOpenFaceCsv(await readFile(extract.csvPath, "utf8"), { file: extract.csvPath });
      const clues = poseGazeClues(table, { frameIndex: peak.frameIndex, timeS: peak.timeS });
      if (!clues) {
        const why = !table.pose && !table.gaze
          ? "it has no head pose or gaze columns (OpenFace -pose -gaze; au-extract poseGaze)"
          : "no tracked frame has head pose values, and no gaze near the peak frame is clearly toward or away from the camera";
        return skip("no-measurements", `nothing to describe without an image model: ${extract.csvPath}: ${why}`);
      }
      const tracker = extract.extractor === "openface" ? "OpenFace" : "The face tracker";
      const described = describePoseGaze(clues, tracker);
      ctx.provenance({ visualDescribe: "builtin", measurements: "csv" });
      return { backend: "builtin", subject: "person" as const, objective: described.objective, description: described.description, clues: { ...clues } };
    }

    const client = await modelClientFromContext(ctx, options.backend);
    if (!client.capabilities.image) throw new MerrError("E_MODEL_UNSUPPORTED", `${options.backend} cannot read images`);
    const extra = pickExtraFrames(deps["sample-frames"]?.frames ?? [], peak.timeS, options.extraFrames);
    const frameNote = extra.length
      ? `The first image is the most expressive frame of a video clip; the other ${extra.length} images are frames from the same clip, in time order.`
      : "The image is the most expressive frame of a video clip.";
    const rendered = renderPrompt(loadPrompt(DESCRIBE_PROMPT), { frameNote });
    ctx.progress(20, `asking ${options.backend}`);
    const answer = await client.generate({
      ...rendered,
      images: [{ path: peak.imagePath }, ...extra.map((path) => ({ path }))],
      json: true,
      maxTokens: options.maxTokens,
      temperature: options.temperature,
      signal: ctx.signal,
      // A refusal is kept (and filtered below); anything else must parse, or the question is asked again.
      check: (text) => void (looksLikeRefusal(text) || parseVisualAnswer(text, options.backend)),
    });
    ctx.provenance({ visualDescribe: options.backend, promptId: rendered.promptId, cached: answer.cached });
    if (answerIsRefusal(answer)) return skip("refused", `${options.backend} refused to describe the frame: ${answer.text.slice(0, 120)}`);
    const parsed = parseVisualAnswer(answer.text, options.backend);
    if (looksLikeRefusal(parsed.description)) return skip("refused", `${options.backend} refused to describe the frame: ${parsed.description.slice(0, 120)}`);
    return { backend: options.backend, ...parsed, promptId: rendered.promptId, model: answer.model, cached: answer.cached };
  },
});
