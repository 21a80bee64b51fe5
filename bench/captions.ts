/**
 * Caption check benchmark: how the fine stage's caption check (`captionProblem`, applied to every model
 * answer) judges the captions of a real MERR fine-grained set, whose captions passed the Emotion-LLaMA
 * authors' own filter.
 *
 *     npm run bench:captions -- <MERR_fine_grained.json | captions.jsonl>
 *
 * The file is the MERR fine-grained JSON (an object keyed by sample name with `pseu_emotion` and
 * `smp_reason_caption`; `//` comments and line breaks inside strings, as in some public copies, are
 * tolerated) or JSON lines of `{"name", "label", "caption"}`. No such file is in the repository: the data
 * is not ours to ship.
 *
 * Figures (docs/benchmarks.md says which captions the check's word lists were chosen on and which were
 * held out):
 * - kept: captions of a MERR label that the check keeps for their own label (refusals left out);
 * - swapped: the same captions checked against each of the 8 other labels: how many pairs the check keeps,
 *   how many captions it keeps for some other label, and how many pairs of opposite valence it keeps.
 */
import { captionProblem } from "../src/core/fine-caption.ts";
import { countLabel } from "../src/core/label-balance.ts";
import { oppositeValence } from "../src/core/evidence-fusion.ts";
import { isMerrLabel, MERR_LABELS, type MerrLabel } from "../src/core/labels.ts";
import { looksLikeRefusal } from "../src/core/refusal.ts";
import { reasonKind } from "../src/runtime/summary.ts";
import { benchRows, entryLabel } from "./_merr-file.ts";

interface Row {
  name: string;
  label: string;
  caption: string;
}

function measure(rows: Row[], title: string): void {
  const refusals = rows.filter((r) => looksLikeRefusal(r.caption));
  const labelled = rows.filter((r) => isMerrLabel(r.label) && !looksLikeRefusal(r.caption));
  const reasons: Record<string, number> = {};
  const perLabel: Record<string, [number, number]> = {};
  let kept = 0;
  let pairs = 0;
  let pairsKept = 0;
  let keptForOther = 0;
  let opposite = 0;
  let oppositeKept = 0;
  for (const r of labelled) {
    const label = r.label as MerrLabel;
    const problem = captionProblem(r.caption, label);
    const tally = (perLabel[label] ??= [0, 0]);
    tally[1] += 1;
    if (!problem) {
      kept += 1;
      tally[0] += 1;
    } else {
      countLabel(reasons, reasonKind(problem));
    }
    let any = false;
    for (const other of MERR_LABELS) {
      if (other === label) continue;
      const ok = !captionProblem(r.caption, other);
      pairs += 1;
      pairsKept += ok ? 1 : 0;
      any ||= ok;
      if (oppositeValence(other, label)) {
        opposite += 1;
        oppositeKept += ok ? 1 : 0;
      }
    }
    keptForOther += any ? 1 : 0;
  }
  const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");
  const lines = [
    `## ${title}: ${rows.length} captions, ${refusals.length} refusals (rejected: ${refusals.filter((r) => captionProblem(r.caption, "neutral")?.includes("refused")).length})`,
    `kept for their own label  ${kept}/${labelled.length} (${pct(kept, labelled.length)})`,
    `  per label: ${MERR_LABELS.filter((l) => perLabel[l]).map((l) => `${l} ${perLabel[l]![0]}/${perLabel[l]![1]}`).join(", ")}`,
    `  rejected: ${Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join("; ") || "none"}`,
    `kept for another label    ${pairsKept}/${pairs} pairs (${pct(pairsKept, pairs)}); captions kept for some other label ${keptForOther}/${labelled.length}; opposite-valence pairs ${oppositeKept}/${opposite}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

function main(): void {
  const { file, rows } = benchRows("bench:captions", "<MERR_fine_grained.json | captions.jsonl>", '"name", "label", "caption"', (e) => {
    const caption = e.caption ?? e.smp_reason_caption;
    return typeof caption === "string" ? { name: e.name, label: entryLabel(e), caption } : undefined;
  });
  measure(rows, `caption check on ${file.split("/").pop()}`);
}

main();
