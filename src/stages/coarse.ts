import { z } from "zod";
import { COARSE_TEMPLATES, coarseTemplateVars } from "../core/coarse-caption.ts";
import { loadPrompt, promptFile, renderPrompt } from "../core/prompts.ts";
import { defineStage } from "./_stage.ts";
import { auAnalyze } from "./au-analyze.ts";
import { extractAudio } from "./extract-audio.ts";
import { audioTone } from "./audio-tone.ts";
import { transcript } from "./transcript.ts";
import { visualDescribe } from "./visual-describe.ts";

export const CoarseOptions = z.object({});

export const CoarseOutput = z.object({
  /** MERR coarse-grained `caption`. */
  caption: z.string().min(1),
  /** `coarse/caption@1`, `coarse/caption-no-speech@1`, `coarse/caption-no-visual@1` or `coarse/caption-no-visual-no-speech@1`. */
  promptId: z.string(),
  /** Which clues the caption holds. */
  parts: z.object({ visual: z.boolean(), expression: z.boolean(), tone: z.boolean(), subtitle: z.boolean() }),
});
export type CoarseOutput = z.infer<typeof CoarseOutput>;

export const coarse = defineStage({
  name: "coarse",
  reads: ["transcript"],
  // 2: the visual clue is optional (no visual sentence without one) and `parts.visual` says whether it is there.
  // 3: when audio-tone's lip check reads `still`, the voice is not given to the person ("the person's lips
  // do not move with the voice of someone who speaks in ...").
  // 4: an AU phrase's article "A" is lower-cased in running text ("include a look of disapprroval"); a clip
  // without AU phrases "includes no marked facial expression" (its peak may hold AUs no rule uses).
  // 5: a clip without sound or voice says so ("the clip has no sound", "hardly any voice is heard") instead
  // of "the tone of voice could not be analysed", which stays for any other missing tone.
  // 6: lips that do not move with a voice described as "a fast voice" do not move "with the fast voice",
  // not "with the voice of someone who speaks in a fast voice".
  version: 6,
  // The templates are the caption: editing one redoes the stage.
  dataFiles: () => COARSE_TEMPLATES.map((id) => promptFile(id)),
  checkOptions: async () => {
    for (const id of COARSE_TEMPLATES) loadPrompt(id);
  },
  description: "MERR step 5: the coarse caption from the template (visual objective + expression + tone + subtitle); no model",
  needs: { "au-analyze": auAnalyze },
  // extract-audio: only its no-audio skip is read (whether the clip has sound at all).
  uses: { "visual-describe": visualDescribe, transcript, "audio-tone": audioTone, "extract-audio": extractAudio },
  options: CoarseOptions,
  output: CoarseOutput,
  async run({ sample, deps, skips }, ctx) {
    const visual = deps["visual-describe"];
    const au = deps["au-analyze"];
    const toneFragment = deps["audio-tone"]?.description;
    const lipsStill = deps["audio-tone"]?.lipSync?.verdict === "still";
    const silence = skips["extract-audio"]?.code === "no-audio" ? "no-sound" : skips["audio-tone"]?.code === "no-speech" ? "no-voice" : undefined;
    const subtitle = deps.transcript?.text ?? sample.transcript ?? "";
    const choice = coarseTemplateVars({
      ...(visual ? { subject: visual.subject, objective: visual.objective } : {}),
      expressionPhrases: au.visual_prior_list,
      ...(toneFragment ? { toneFragment, lipsStill } : silence ? { silence } : {}),
      subtitle,
    });
    const rendered = renderPrompt(loadPrompt(choice.templateId), choice.vars);
    ctx.provenance({ promptId: rendered.promptId });
    return {
      caption: rendered.prompt,
      promptId: rendered.promptId,
      parts: { visual: visual !== undefined, expression: au.visual_prior_list.length > 0, tone: Boolean(toneFragment), subtitle: subtitle.trim() !== "" },
    };
  },
});
