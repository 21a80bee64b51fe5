import { z } from "zod";
import { loadFaceSidecar } from "../adapters/face/index.ts";
import { answerIsRefusal, checkEnglish, looksLikeRefusal, modelClientFromContext, parseJsonAnswer, parseModelSpec } from "../adapters/models/index.ts";
import { MerrError } from "../core/errors.ts";
import type { ExpressionProbs } from "../core/evidence-fusion.ts";
import { builtinFine, clueProblem, cluesForLabel, finePromptVars, judgeAnswer, parseFineAnswer, type Conditioning, type FineClues } from "../core/fine-reasoning.ts";
import { fuseEvidence } from "../core/evidence-fusion.ts";
import { DEFAULT_LABEL_POLICY, MERR_LABELS, parseLabelPolicy, resolveLabel, type LabelPolicy, type MerrLabel } from "../core/labels.ts";
import { loadPrompt, promptFile, renderPrompt } from "../core/prompts.ts";
import type { Sample } from "../core/types.ts";
import { labelMapOption, specOption } from "./_options.ts";
import { defineStage, skip } from "./_stage.ts";
import { auAnalyze, type AuAnalyzeOutput } from "./au-analyze.ts";
import { auExtract } from "./au-extract.ts";
import { audioTone } from "./audio-tone.ts";
import { transcript } from "./transcript.ts";
import { visualDescribe } from "./visual-describe.ts";

export const FineOptions = z.object({
  /** `builtin` (evidence fusion, no model) or a model spec such as `ollama:llama3.1:8b`. @defaultValue "builtin" */
  backend: specOption((s) => s === "builtin" || parseModelSpec(s)).default("builtin"),
  /**
   * Which label conditions the reasoning: `auto` (ground truth when the source has a MERR label, else the
   * AU pseudo-label), `ground-truth` (else open), `pseudo`, or `open` (the reasoning picks the label).
   * @defaultValue "auto"
   */
  label: z.enum(["auto", "ground-truth", "pseudo", "open"]).default("auto"),
  /**
   * Ground-truth labels outside the MERR set (`disgust`), as `FROM=TO|drop` pairs (`disgust=angry`; `*` for
   * any other), the syntax of `merr export --map-label`. A sample whose ground truth is dropped leaves the
   * fine set (skipped `label-out-of-set`; its AU pseudo-label keeps it in the coarse set): its caption would
   * otherwise explain a label the clip does not have ({@link labelMapOption}).
   */
  mapLabel: labelMapOption(),
  /** Open builtin decisions below this fused share are filtered out. @defaultValue 0.3 */
  minConfidence: z.number().min(0).max(1).default(0.3),
  /** Filter samples whose confident clues favour opposite-valence labels, or oppose the given label. @defaultValue true */
  filterContradictions: z.boolean().default(true),
  /** @defaultValue 400 */
  maxTokens: z.number().int().positive().default(400),
  /** @defaultValue 0.2 */
  temperature: z.number().min(0).max(2).default(0.2),
});
export type FineOptions = z.infer<typeof FineOptions>;

const Scores = z.object(Object.fromEntries(MERR_LABELS.map((l) => [l, z.number()])) as Record<MerrLabel, z.ZodNumber>);

export const FineOutput = z.object({
  /** The label the caption explains (one of the nine MERR labels). */
  label: z.enum(MERR_LABELS),
  /** MERR `smp_reason_caption`. */
  smp_reason_caption: z.string().min(1),
  /** Fused support of the clues for `label` (0..1). */
  confidence: z.number().min(0).max(1),
  conditioning: z.enum(["ground-truth", "pseudo", "open"]),
  backend: z.string(),
  promptId: z.string().optional(),
  model: z.string().optional(),
  cached: z.boolean().optional(),
  /** builtin: the clues the caption cites. */
  cited: z.array(z.enum(["au", "expression", "tone", "transcript"])).optional(),
  /** Fused clue scores per label. */
  scores: Scores,
  /** Why the subtitle cast no vote (`instruction-like`, `no-emotion-words`, `empty`, `lips-still`: the person's lips did not move with the voice that said it). */
  transcriptIgnored: z.string().optional(),
});
export type FineOutput = z.infer<typeof FineOutput>;

/**
 * The label that conditions the caption, and where it came from (pure). With `auto` or `ground-truth`, a
 * ground truth outside the MERR set is mapped by `policy` or, when the policy drops it, reported as
 * `outOfSet`: the sample has a known emotion that no MERR label names, so no other label may stand in.
 */
export function chooseLabel(
  mode: FineOptions["label"],
  sample: Sample,
  au: Pick<AuAnalyzeOutput, "pseu_emotion">,
  policy: LabelPolicy = DEFAULT_LABEL_POLICY,
): { label?: MerrLabel; conditioning: Conditioning; mappedFrom?: string; outOfSet?: string } {
  const truth = sample.label !== undefined && sample.label.trim() !== "" ? resolveLabel(sample.label, policy) : undefined;
  if (mode === "auto" || mode === "ground-truth") {
    if (truth?.ok) return { label: truth.label, conditioning: "ground-truth", ...(truth.mappedFrom ? { mappedFrom: truth.mappedFrom } : {}) };
    if (truth) return { conditioning: "ground-truth", outOfSet: truth.normalised };
  }
  if (mode === "auto" || mode === "pseudo") return { ...(au.pseu_emotion ? { label: au.pseu_emotion } : {}), conditioning: "pseudo" };
  return { conditioning: "open" };
}

/** The face analyzer's mean expression probabilities, when the extractor wrote a sidecar with a face in it. */
async function readExpressionMean(sidecarPath: string | undefined): Promise<ExpressionProbs | undefined> {
  return (await loadFaceSidecar(sidecarPath))?.expressionMean ?? undefined;
}

/** The prompts of a model backend: with a label to explain, and without one. */
const FINE_PROMPTS = ["fine/labelled", "fine/open"] as const;

export const fine = defineStage({
  name: "fine",
  reads: ["transcript", "label"],
  // 2: "Miss" before a name is a title, not a sad word of the subtitle (the evidence every backend's
  // contradiction filter reads; a model backend's rerun is answered from the cache).
  // 3: a ground truth outside the MERR set (disgust) no longer falls back to the pseudo-label (the caption
  // explained a label the clip does not have): it is mapped (mapLabel) or leaves the fine set.
  // 4: a voice the person's lips did not move with (audio-tone's lip check): neither its tone nor its words
  // vote, and a model's prompt says so.
  // 5: the label is explained from its own pool's AUs at the peak (au-analyze's label_aus), in the builtin
  // caption and a model's prompt; for a ground truth the AU rules did not give they corroborate another
  // supporting clue in the builtin caption, never carry the label alone.
  // 6: the caption check reads the caption's conclusion: a word for the label names it ("frustration"),
  // and another label's word before a clue noun ("a fearful tone") or after a hedge ("often associated
  // with surprise") is no second reading; a caption that ends on another label is filtered. A model's
  // prompt gives the face's actions in plain words ("lowered brows"), not the MERR synonym pools' phrases.
  // 7: a rule label of the opposite valence to a ground truth whose own AUs (outside the rule label's pool)
  // the face shows at the peak is mixed evidence and casts no vote, unless the expression classifier reads
  // the face on the rule's side (cluesForLabel): it no longer filters the sample as contradicting. "I'm
  // afraid" before a clause ("I'm afraid it's unlikely") is polite regret, not a fear word of the subtitle.
  // 8: an audio model's tone description votes by its emotion words ("and her tone sounds cheerful."), not by
  // the measured arousal, and the builtin caption quotes it only for a label those words support and when
  // they name no other label's emotion (toneWordVotes). The voice and the words alone no longer oppose a
  // given label: a face clue must too (clueProblem). "doesn't" negates an emotion word of the subtitle.
  version: 8,
  // The builtin backend's caption wording (2: a clue's weaker expression reading is said to be partial; 3: the
  // expression reading in words, without its share of the evidence, and the face's actions in plain words;
  // 4: the first clause names the person, "This suggests" after one clue, no full stop after a quote that
  // ends its own sentence, the subtitle quoted only when its emotion words support the label alone and cut
  // to its sentence with the word, at most 25 words). Model backends: 1: a caption in another language than
  // English is asked again, then fails the try (it was filtered as "a caption of 1 words"); the prompt's
  // voice clause for lips that do not move with the voice names the voice once ("with the fast voice").
  versionOf: (options) => (options.backend === "builtin" ? 4 : 1),
  // A model backend is asked with these prompts: editing one redoes the stage.
  dataFiles: (options) => (options.backend === "builtin" ? [] : FINE_PROMPTS.map((id) => promptFile(id))),
  checkOptions: async (options) => {
    if (options.backend !== "builtin") for (const id of FINE_PROMPTS) loadPrompt(id);
  },
  description: "MERR step 6: fine-grained reasoning over all clues (builtin evidence fusion or a language model), filtered for refusals and contradictions",
  needs: { "au-analyze": auAnalyze },
  uses: { "visual-describe": visualDescribe, "au-extract": auExtract, transcript, "audio-tone": audioTone },
  options: FineOptions,
  output: FineOutput,
  async run({ sample, options, deps }, ctx) {
    const au = deps["au-analyze"];
    const tone = deps["audio-tone"];
    // A sample kept for its ground truth has no pseudo-label: the AU rules cast no vote (its label's own AUs
    // at the peak can still corroborate another clue).
    const clues: FineClues = {
      ...(au.pseu_emotion ? { au: { label: au.pseu_emotion, phrases: au.visual_prior_list, aus: au.AU_list } } : {}),
      labelAus: au.label_aus,
      transcript: deps.transcript?.text ?? sample.transcript ?? "",
      ...(deps["visual-describe"] ? { subject: deps["visual-describe"].subject, objective: deps["visual-describe"].objective } : {}),
    };
    const expression = await readExpressionMean(deps["au-extract"]?.sidecarPath);
    if (expression) clues.expression = expression;
    // audio-tone's arousal is in [-1, 1]; the fusion reads [0, 1]. An audio model's description votes by its
    // emotion words (merr's own wording only says how lively the voice is).
    if (tone) clues.tone = { arousal: (tone.arousal + 1) / 2, fragment: tone.description, ...(tone.backend !== "builtin" ? { byModel: true } : {}) };
    // A voice the person's lips did not move with is not theirs to reason from: neither its tone nor its
    // words vote, and a model's prompt says so.
    if (tone?.lipSync?.verdict === "still") clues.lipsStill = true;
    const { label: given, conditioning, mappedFrom, outOfSet } = chooseLabel(options.label, sample, au, parseLabelPolicy(options.mapLabel));
    const rules = { minConfidence: options.minConfidence, filterContradictions: options.filterContradictions };
    ctx.provenance({ fineBackend: options.backend, conditioning, ...(given ? { givenLabel: given } : {}), ...(mappedFrom ? { mappedFrom } : {}) });
    if (!au.pseu_emotion && conditioning !== "ground-truth") {
      return skip(
        "filtered-out",
        `no AU rule fired: the sample was kept for its ground-truth label, which --label ${options.label} does not use (au-analyze's keepLabelled)`,
      );
    }
    if (outOfSet !== undefined) {
      return skip(
        "label-out-of-set",
        `ground-truth label "${sample.label}" is not a MERR label: the fine set leaves the sample out, and so does the coarse set unless exported with --coarse-labels pseudo; ` +
          `to keep such samples, map the label when building, e.g. merr build --map-label ${outOfSet || "<label>"}=<${MERR_LABELS.join("|")}>`,
      );
    }

    // A rule label of the opposite valence is no evidence against a ground truth the face also shows.
    const used = cluesForLabel(clues, given);
    if (options.backend === "builtin") {
      const verdict = builtinFine(used, given, rules);
      if (!verdict.ok) return skip("filtered-out", verdict.reason);
      const { label, caption, confidence, cited, fusion } = verdict.value;
      return {
        label, smp_reason_caption: caption, confidence, conditioning, backend: "builtin", cited, scores: fusion.scores,
        ...(fusion.transcriptIgnored ? { transcriptIgnored: fusion.transcriptIgnored } : {}),
      };
    }

    const fusion = fuseEvidence(used);
    const problem = clueProblem(fusion, given, rules);
    if (problem) return skip("filtered-out", problem);
    const client = await modelClientFromContext(ctx, options.backend);
    const prompt = loadPrompt(given ? FINE_PROMPTS[0] : FINE_PROMPTS[1]);
    const rendered = renderPrompt(prompt, finePromptVars(clues, given));
    ctx.progress(20, `asking ${options.backend}`);
    const answer = await client.generate({
      ...rendered,
      json: true,
      maxTokens: options.maxTokens,
      temperature: options.temperature,
      signal: ctx.signal,
      // Shape only: a refusal passes (and is filtered below); a JSON without label and caption is asked again.
      // A caption in another language is asked again too: the dataset's captions are English.
      check: (text) => {
        if (looksLikeRefusal(text)) return;
        const parsed = parseFineAnswer(parseJsonAnswer(text, options.backend));
        if (!parsed) throw new MerrError("E_MODEL_OUTPUT_INVALID", `${options.backend}: answer lacks a "label" or "caption" string`);
        checkEnglish(parsed.caption, options.backend, "caption");
      },
    });
    ctx.provenance({ promptId: rendered.promptId, model: answer.model, cached: answer.cached });
    if (answerIsRefusal(answer)) return skip("filtered-out", `the model refused: ${JSON.stringify(answer.text.slice(0, 120))}`);
    const parsed = parseFineAnswer(parseJsonAnswer(answer.text, options.backend));
    if (!parsed) throw new MerrError("E_MODEL_OUTPUT_INVALID", `${options.backend}: answer lacks a "label" or "caption" string`);
    const judged = judgeAnswer(parsed, given);
    if (!judged.ok) return skip("filtered-out", judged.reason);
    return {
      label: judged.value.label,
      smp_reason_caption: judged.value.caption,
      confidence: Math.round(fusion.scores[judged.value.label] * 1000) / 1000,
      conditioning,
      backend: options.backend,
      promptId: rendered.promptId,
      model: answer.model,
      cached: answer.cached,
      scores: fusion.scores,
      ...(fusion.transcriptIgnored ? { transcriptIgnored: fusion.transcriptIgnored } : {}),
    };
  },
});
