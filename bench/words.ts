/**
 * Subtitle emotion words on real footage: how the evidence fusion's transcript clue (`transcriptWordVotes`)
 * votes on the English subtitles of a real MERR fine-grained set (translated MER2023 TV-drama dialogue),
 * against the clips' MER2023 labels.
 *
 *     npm run bench:words -- <MERR_fine_grained.json | subtitles.jsonl>
 *
 * The file is the MERR fine-grained JSON (an object keyed by sample name with `pseu_emotion` and `text`;
 * `//` comments and line breaks inside strings are tolerated) or JSON lines of `{"name", "label", "text"}`.
 * No such file is in the repository: the data is not ours to ship.
 *
 * Figures: how many subtitles cast a vote, how often the vote's label is the clip's label or of the
 * opposite valence, and per matched word the clips' labels.
 */
import { oppositeValence, transcriptWordVotes } from "../src/core/evidence-fusion.ts";
import { countLabel, formatDistribution, type LabelCounts } from "../src/core/label-balance.ts";
import { isMerrLabel, MERR_LABELS, type MerrLabel } from "../src/core/labels.ts";
import { benchRows, entryLabel } from "./_merr-file.ts";

function main(): void {
  const { file, rows } = benchRows("bench:words", "<MERR_fine_grained.json | subtitles.jsonl>", '"name", "label", "text"', (e) =>
    typeof e.text === "string" ? { name: e.name, label: entryLabel(e), text: e.text } : undefined,
  );
  const labelled = rows.filter((r) => isMerrLabel(r.label));
  let voted = 0;
  let right = 0;
  let opposite = 0;
  const labels: LabelCounts = {};
  const perWord = new Map<string, LabelCounts>();
  for (const r of labelled) {
    countLabel(labels, r.label);
    const { scores, matches } = transcriptWordVotes(r.text);
    if (!matches.length) continue;
    voted += 1;
    const top = MERR_LABELS.reduce((best, l) => (scores[l] > scores[best] ? l : best), MERR_LABELS[0]) as MerrLabel;
    if (top === r.label) right += 1;
    if (oppositeValence(top, r.label as MerrLabel)) opposite += 1;
    for (const word of new Set(matches.map((m) => m.toLowerCase()))) {
      const row = perWord.get(word) ?? {};
      countLabel(row, r.label);
      perWord.set(word, row);
    }
  }
  const total = (c: LabelCounts) => Object.values(c).reduce((s, n) => s + n, 0);
  const out = [
    `# subtitle emotion words of ${file.split("/").pop()}: ${labelled.length} clips (${formatDistribution(labels)})`,
    `subtitles that vote: ${voted}; the vote is the clip's label ${right}/${voted}, of the opposite valence ${opposite}/${voted}`,
    "per word (clips' labels):",
    ...[...perWord.entries()].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0])).map(([w, c]) => `  ${w.padEnd(13)} ${formatDistribution(c)}`),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main();
