import { beforeAll, describe, expect, it } from "vitest";
import { TONE_FEATURES } from "../../src/adapters/audio/index.ts";
import { coarseTemplateVars } from "../../src/core/coarse-caption.ts";
import { subjectWords, toneClause } from "../../src/core/fine-caption.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { coarse } from "../../src/stages/coarse.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";
import { auOutput } from "./fine-fixtures.ts";

const sample: Sample = { id: "c1", path: "/clips/c1.flv", source: "folder" };
const visual = (subject: string, objective: string) => ({ backend: "builtin", subject, objective, description: "d" });
const tone = (description: string) => ({ description, features: Object.fromEntries(TONE_FEATURES.map((k) => [k, 0])), featuresPath: "/f.json", arousal: 0.5, backend: "builtin" });

let outDir: string;
beforeAll(async () => {
  outDir = await tempOutDir("merr-coarse-");
});

async function run(deps: Record<string, unknown>, skips: Record<string, { code: string; message: string }> = {}) {
  const { ctx } = await testContext({ outDir, sample, stage: "coarse" });
  const r = await runStage(coarse, { sample, deps, skips }, ctx);
  return (r as { output: { caption: string; promptId: string; parts: Record<string, boolean> } }).output;
}

describe("coarse", () => {
  it("realises the paper's example from its clues", async () => {
    const out = await run({
      "visual-describe": visual("woman", "talking to a man, possibly discussing something important"),
      "au-analyze": auOutput("surprise", ["AU05", "AU26"], ["Eyes widened", "Wide-mouthed"]),
      "audio-tone": tone("speaks with an excited voice."),
      transcript: { text: "Oh my!", source: "given", language: "en" },
    });
    expect(out.caption).toBe(
      "The woman in the video is talking to a man, possibly discussing something important. The woman's expression and actions include eyes widened and wide-mouthed, and the woman speaks with an excited voice. Saying: Oh my!",
    );
    expect(out.promptId).toBe("coarse/caption@1");
    expect(out.parts).toEqual({ visual: true, expression: true, tone: true, subtitle: true });
  });

  it("mentions only the clues the sample has: no tone, no subtitle, no AU", async () => {
    const out = await run({
      "visual-describe": visual("person", "shown in a close-up in the centre of the frame, facing the camera"),
      "au-analyze": auOutput("neutral", [], []),
    });
    expect(out.caption).toBe(
      "This person in the video is shown in a close-up in the centre of the frame, facing the camera. The person's expression and actions include no marked facial expression, and the tone of voice could not be analysed.",
    );
    expect(out.caption).not.toContain("Saying");
    expect(out.parts).toEqual({ visual: true, expression: false, tone: false, subtitle: false });
  });

  it("has no visual sentence when visual-describe gave nothing (skipped: no image model, no measurements)", async () => {
    const out = await run({
      "au-analyze": auOutput("happy", ["AU06", "AU12"], ["Cheek raiser", "Lip corner puller"]),
      "audio-tone": tone("speaks in a normal tone."),
      transcript: { text: "Fine.", source: "given", language: "en" },
    });
    expect(out.caption).toBe("The person's expression and actions include cheek raiser and lip corner puller, and the person speaks in a normal tone. Saying: Fine.");
    expect(out.promptId).toBe("coarse/caption-no-visual@1");
    expect(out.parts).toEqual({ visual: false, expression: true, tone: true, subtitle: true });
    const quiet = await run({ "au-analyze": auOutput("neutral", [], []) });
    expect(quiet.promptId).toBe("coarse/caption-no-visual-no-speech@1");
    expect(quiet.caption).toBe("The person's expression and actions include no marked facial expression, and the tone of voice could not be analysed.");
    expect(quiet.parts.visual).toBe(false);
  });

  it("says a clip has no sound, or hardly any voice, when that was measured, and could not be analysed only otherwise", async () => {
    const deps = { "au-analyze": auOutput("happy", ["AU06", "AU12"], ["Cheek raiser", "Lip corner puller"]) };
    const noAudio = await run(deps, {
      "extract-audio": { code: "no-audio", message: "the clip has no audio track" },
      "audio-tone": { code: "upstream-skipped", message: "extract-audio skipped: no-audio" },
    });
    expect(noAudio.caption).toBe("The person's expression and actions include cheek raiser and lip corner puller, and the clip has no sound.");
    const silent = await run(deps, { "audio-tone": { code: "no-speech", message: "no voiced speech to describe (0.00 s voiced; 0.2 s needed)" } });
    expect(silent.caption).toBe("The person's expression and actions include cheek raiser and lip corner puller, and hardly any voice is heard.");
    expect(silent.parts.tone).toBe(false);
  });

  it("splices MERR-style tone fragments as clauses", () => {
    const base = { objective: "x", expressionPhrases: ["Big smile"] };
    expect(coarseTemplateVars({ ...base, subject: "man", toneFragment: "and his tone sounds negative." }).vars.tone).toBe("his tone sounds negative");
    expect(coarseTemplateVars({ ...base, toneFragment: "speaks in a normal tone." }).vars.tone).toBe("the person speaks in a normal tone");
    expect(coarseTemplateVars({ ...base, toneFragment: "calm and low" }).vars.tone).toBe("the person's tone is calm and low");
    // A model's own subject becomes the caption's, in its number, unless it gives the voice another gender.
    expect(coarseTemplateVars({ ...base, subject: "man", toneFragment: "He speaks in a calm tone." }).vars.tone).toBe("the man speaks in a calm tone");
    expect(coarseTemplateVars({ ...base, subject: "man", toneFragment: "They sound tense." }).vars.tone).toBe("the man sounds tense");
    expect(toneClause("They cry while talking.", subjectWords("person"))).toBe("they cry while talking");
    expect(toneClause("She has a shaky voice.", subjectWords("person"))).toBe("they have a shaky voice");
  });

  it("does not give the voice to a person whose lips did not move with it (audio-tone's lip check)", async () => {
    const still = { ...tone("speaks with an excited voice."), lipSync: { verdict: "still", syllables: 6, seen: 6, opened: 0 } };
    const deps = {
      "visual-describe": visual("woman", "listening"),
      "au-analyze": auOutput("surprise", ["AU05", "AU26"], ["Eyes widened", "Wide-mouthed"]),
      transcript: { text: "Oh my!", source: "given", language: "en" },
    };
    const out = await run({ ...deps, "audio-tone": still });
    expect(out.caption).toBe(
      "The woman in the video is listening. The woman's expression and actions include eyes widened and wide-mouthed, and the woman's lips do not move with the excited voice. Saying: Oh my!",
    );
    expect(out.parts.tone).toBe(true);
    // Lips that moved, or a check that could not tell, leave the voice with the person.
    for (const verdict of ["moving", "unclear", "not-seen"]) {
      const other = await run({ ...deps, "audio-tone": { ...still, lipSync: { ...still.lipSync, verdict } } });
      expect(other.caption).toContain("and the woman speaks with an excited voice.");
    }
    const base = { objective: "x", expressionPhrases: ["Big smile"], lipsStill: true };
    // A model's fragment that names the person is turned to the voice.
    const turned = (toneFragment: string, subject = "man") => coarseTemplateVars({ ...base, subject, toneFragment }).vars.tone;
    expect(turned("and his tone sounds negative.")).toBe("the man's lips do not move with the voice, whose tone sounds negative");
    expect(turned("his voice is loud.")).toBe("the man's lips do not move with the voice, which is loud");
    expect(turned("Her voice trembles.", "woman")).toBe("the woman's lips do not move with the voice, which trembles");
    expect(turned("The man speaks loudly.")).toBe("the man's lips do not move with the voice of someone who speaks loudly");
    expect(turned("They speak softly.", "person")).toBe("the person's lips do not move with the voice of someone who speaks softly");
    expect(turned("The speaker's tone is calm")).toBe("the man's lips do not move with the voice, whose tone is calm");
    expect(turned("calm and low", "person")).toBe("the person's lips do not move with the voice, whose tone is calm and low");
  });

  // Audio models answer in many shapes. Each row: fragment, subject, the clause, and the clause when the
  // lips did not move with the voice.
  it.each([
    ["speaks in a loud and fast voice with lively intonation.", "man", "the man speaks in a loud and fast voice with lively intonation", "the man's lips do not move with the loud and fast voice with lively intonation"],
    ["He speaks in a calm tone.", "woman", "he speaks in a calm tone", "the woman's lips do not move with the voice of someone who speaks in a calm tone"],
    ["She sounds sad.", "woman", "the woman sounds sad", "the woman's lips do not move with the voice of someone who sounds sad"],
    ["They speak softly.", "person", "the person speaks softly", "the person's lips do not move with the voice of someone who speaks softly"],
    ["The speaker sounds excited and speaks quickly.", "man", "the man sounds excited and speaks quickly", "the man's lips do not move with the voice of someone who sounds excited and speaks quickly"],
    ["They're shouting angrily.", "man", "the man is shouting angrily", "the man's lips do not move with the voice of someone who is shouting angrily"],
    ["Speaking in a soft, trembling voice.", "person", "the person speaks in a soft, trembling voice", "the person's lips do not move with the soft, trembling voice"],
    ["A calm, steady voice.", "man", "the man has a calm, steady voice", "the man's lips do not move with the voice of someone who has a calm, steady voice"],
    ["seems nervous", "woman", "the woman seems nervous", "the woman's lips do not move with the voice of someone who seems nervous"],
    ["They spoke softly.", "man", "they spoke softly", "the man's lips do not move with the voice; they spoke softly"],
    ["His voice is loud.", "man", "his voice is loud", "the man's lips do not move with the voice, which is loud"],
    ["The speaker's tone is calm", "person", "the speaker's tone is calm", "the person's lips do not move with the voice, whose tone is calm"],
    ["The voice of the speaker is calm.", "person", "the voice of the speaker is calm", "the person's lips do not move with the voice; the voice of the speaker is calm"],
    ["The pace is fast.", "man", "the pace is fast", "the man's lips do not move with the voice; the pace is fast"],
    ["Excited!", "woman", "the woman's tone is excited", "the woman's lips do not move with the voice, whose tone is excited"],
  ])("tone fragment %j for a %s", (toneFragment, subject, clause, still) => {
    const base = { objective: "x", expressionPhrases: [], subject, toneFragment };
    expect(coarseTemplateVars(base).vars.tone).toBe(clause);
    expect(coarseTemplateVars({ ...base, lipsStill: true }).vars.tone).toBe(still);
  });

  it("makes the builtin caption's they agree with every listed verb", () => {
    expect(toneClause("The speaker sounds excited and speaks quickly.", subjectWords("person"))).toBe("they sound excited and speak quickly");
    expect(toneClause("He doesn't raise his voice.", subjectWords("person"))).toBe("they don't raise his voice");
  });
});
