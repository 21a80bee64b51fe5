/**
 * The fine stage's decisions on real clues: the AU rules on OpenFace's peak AUs, an audio model's tone
 * description and the subtitle of each clip of a real MERR fine-grained set (MER2023 TV drama: OpenFace
 * 2.x `peak_AU_list`, Qwen-Audio `audio_prior_list`, the English `text`), against the clips' MER2023 labels.
 *
 *     npm run bench:fine -- <MERR_fine_grained.json | clues.jsonl>
 *
 * The file is the MERR fine-grained JSON (an object keyed by sample name; `//` comments and line breaks
 * inside strings are tolerated) or JSON lines of `{"name", "label", "peak_AU_list", "audio_prior_list",
 * "text"}`. No such file is in the repository: the data is not ours to ship.
 *
 * Every clip of that set was kept by the paper, for its label. The figures:
 * - the tone words (`toneWordVotes`): how many descriptions name an emotion, and whether the side of
 *   valence they favour is the clip's; per word, the clips' labels;
 * - the fine stage with the description read as merr reads an audio model's since fine v8 (`byModel`: its
 *   emotion words are the tone's vote; a description without any votes by the arousal), and, for
 *   comparison, with the tone voting by the measured arousal alone, as fine v7 took every description. The
 *   arousal is not in the file: a voice of middling arousal (0.5, which favours no label) for v8, and a
 *   quiet (0.3) and a lively (0.7) voice for the arousal alone:
 *   - the builtin backend, given the clip's own label: kept, and why the others were filtered; how many
 *     captions cite the tone, how many of those cite a description whose words favour the opposite
 *     valence to the label (a caption that explains sadness with "her tone sounds cheerful"), and how many
 *     one whose words name another label ("a fearful tone" for anger);
 *   - given a label of the opposite valence to the clip's own instead: how many the builtin backend keeps
 *     (lower is better), and how many the contradiction check every backend runs filters (higher is better);
 *   - the contradiction check on the clip's own label (lower is better: the paper kept them all).
 * The face clues are the OpenFace path's (AU rules, no expression classifier). The description decides
 * what the tone says; the prosody the stage also measures is not in the file.
 */
import { fuseEvidence, oppositeValence, toneWordVotes, type LabelScores } from "../src/core/evidence-fusion.ts";
import { builtinFine, clueProblem, cluesForLabel, type FineClues } from "../src/core/fine-reasoning.ts";
import { loadAuRuleSet } from "../src/core/au-rules.ts";
import { countLabel, formatDistribution, type LabelCounts } from "../src/core/label-balance.ts";
import { isMerrLabel, MERR_LABELS, type MerrLabel } from "../src/core/labels.ts";
import { reasonKind } from "../src/runtime/summary.ts";
import { benchRows, entryLabel, peakAnalysis } from "./_merr-file.ts";

interface Row {
  name: string;
  label: MerrLabel;
  peak: string[];
  tone: string;
  text: string;
}

type Side = "positive" | "negative" | "neutral" | "surprise";

/** The side of valence a vote favours most (surprise by itself: it opposes nothing). */
function sideOf(scores: LabelScores): Side {
  const sides: Record<Side, number> = {
    positive: scores.happy,
    negative: MERR_LABELS.filter((l) => oppositeValence(l, "happy")).reduce((s, l) => s + scores[l], 0),
    neutral: scores.neutral,
    surprise: scores.surprise,
  };
  return (Object.keys(sides) as Side[]).reduce((best, s) => (sides[s] > sides[best] ? s : best), "neutral");
}

const labelSide = (l: MerrLabel): Side => (l === "happy" ? "positive" : l === "neutral" ? "neutral" : l === "surprise" ? "surprise" : "negative");
const opposed = (a: Side, b: Side): boolean => (a === "positive" && b === "negative") || (a === "negative" && b === "positive");

const total = (c: LabelCounts): number => Object.values(c).reduce((s, n) => s + n, 0);
const kinds = (c: LabelCounts): string => Object.entries(c).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([k, v]) => `${k} ×${v}`).join(", ") || "none";

function toneWords(rows: Row[]): string[] {
  let voted = 0;
  let same = 0;
  let opposite = 0;
  const bySide: Record<Side, LabelCounts> = { positive: {}, negative: {}, neutral: {}, surprise: {} };
  const perWord = new Map<string, LabelCounts>();
  for (const r of rows) {
    const votes = toneWordVotes(r.tone);
    if (!votes) continue;
    voted += 1;
    const side = sideOf(votes.scores);
    countLabel(bySide[side], r.label);
    if (side === labelSide(r.label)) same += 1;
    if (opposed(side, labelSide(r.label))) opposite += 1;
    for (const w of new Set(votes.matches)) {
      const c = perWord.get(w) ?? {};
      countLabel(c, r.label);
      perWord.set(w, c);
    }
  }
  return [
    `## tone words: ${voted}/${rows.length} descriptions name an emotion; the side of valence they favour is the clip's ${same}/${voted}, the opposite side ${opposite}/${voted}`,
    ...(["positive", "negative", "neutral", "surprise"] as const).map((s) => `  favour ${s.padEnd(8)} ${String(total(bySide[s])).padStart(4)}: ${formatDistribution(bySide[s])}`),
    "per word (clips' labels):",
    ...[...perWord.entries()].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0])).map(([w, c]) => `  ${w.padEnd(13)} ${formatDistribution(c)}`),
  ];
}

interface Variant {
  name: string;
  tone: (r: Row) => NonNullable<FineClues["tone"]>;
}

function fineStage(rows: Row[], analyses: Map<string, ReturnType<typeof peakAnalysis>>, variant: Variant): string[] {
  const gate = { minConfidence: 0.3, filterContradictions: true };
  let kept = 0;
  let citeTone = 0;
  let citeOpposed = 0;
  let citeOther = 0;
  const why: LabelCounts = {};
  let ownFiltered = 0;
  let wrongPairs = 0;
  let wrongKept = 0;
  let wrongFiltered = 0;
  for (const r of rows) {
    const a = analyses.get(r.name)!;
    const clues: FineClues = {
      ...(a.pseu_emotion ? { au: { label: a.pseu_emotion, phrases: a.visual_prior_list, aus: a.AU_list } } : {}),
      labelAus: a.label_aus,
      tone: variant.tone(r),
      transcript: r.text,
    };
    const own = builtinFine(cluesForLabel(clues, r.label), r.label, gate);
    if (own.ok) {
      kept += 1;
      if (own.value.cited.includes("tone")) {
        citeTone += 1;
        const words = toneWordVotes(r.tone);
        if (words && opposed(sideOf(words.scores), labelSide(r.label))) citeOpposed += 1;
        if (words?.names.some((l) => l !== r.label)) citeOther += 1;
      }
    } else countLabel(why, reasonKind(own.reason));
    if (clueProblem(fuseEvidence(cluesForLabel(clues, r.label)), r.label, gate)) ownFiltered += 1;
    for (const wrong of MERR_LABELS) {
      if (!oppositeValence(wrong, r.label)) continue;
      wrongPairs += 1;
      if (builtinFine(cluesForLabel(clues, wrong), wrong, gate).ok) wrongKept += 1;
      if (clueProblem(fuseEvidence(cluesForLabel(clues, wrong)), wrong, gate)) wrongFiltered += 1;
    }
  }
  return [
    `## fine stage, ${variant.name}`,
    `builtin, the clip's own label: kept ${kept}/${rows.length}; filtered: ${kinds(why)}`,
    `  captions citing the tone ${citeTone}/${kept}; of them citing a description whose words favour the opposite valence to the label ${citeOpposed}, whose words name another label ${citeOther}`,
    `a label of the opposite valence to the clip's given instead (${wrongPairs} pairs): builtin keeps ${wrongKept}, the contradiction check filters ${wrongFiltered}`,
    `contradiction check on the clip's own label: filters ${ownFiltered}/${rows.length}`,
  ];
}

async function main(): Promise<void> {
  const { file, rows: all } = benchRows(
    "bench:fine",
    "<MERR_fine_grained.json | clues.jsonl>",
    '"name", "label", "peak_AU_list", "audio_prior_list", "text"',
    (e) =>
      Array.isArray(e.peak_AU_list) && typeof e.audio_prior_list === "string" && typeof e.text === "string"
        ? { name: e.name, label: entryLabel(e), peak: e.peak_AU_list.map(String), tone: e.audio_prior_list, text: e.text }
        : undefined,
  );
  const rows = all.flatMap((r) => (isMerrLabel(r.label) ? [{ ...r, label: r.label }] : []));
  const rules = await loadAuRuleSet("merr");
  const analyses = new Map(rows.map((r) => [r.name, peakAnalysis(r.name, r.peak, rules)]));
  const labels: LabelCounts = {};
  for (const r of rows) countLabel(labels, r.label);
  const variants: Variant[] = [
    { name: "the description read as an audio model's (fine v8; arousal 0.5 where it names no emotion)", tone: (r) => ({ arousal: 0.5, fragment: r.tone, byModel: true }) },
    { name: "the tone by the arousal alone, as fine v7 took any description: a quiet voice (0.3)", tone: (r) => ({ arousal: 0.3, fragment: r.tone }) },
    { name: "the tone by the arousal alone, as fine v7 took any description: a lively voice (0.7)", tone: (r) => ({ arousal: 0.7, fragment: r.tone }) },
  ];
  const out = [`# fine stage on the real clues of ${file.split("/").pop()}: ${rows.length} clips (${formatDistribution(labels)})`, ...toneWords(rows)];
  for (const v of variants) out.push("", ...fineStage(rows, analyses, v));
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
