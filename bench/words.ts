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
import { readFileSync } from "node:fs";
import { oppositeValence, transcriptWordVotes } from "../src/core/evidence-fusion.ts";
import { countLabel, formatDistribution, type LabelCounts } from "../src/core/label-balance.ts";
import { isMerrLabel, MERR_LABELS, type MerrLabel } from "../src/core/labels.ts";
import { lenientJson } from "./_json.ts";

interface Row {
  name: string;
  label: string;
  text: string;
}

function readRows(file: string): Row[] {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").filter((l) => l.trim());
  const asRow = (line: string): Row | undefined => {
    try {
      const r = JSON.parse(line) as Partial<Row>;
      return typeof r.name === "string" && typeof r.label === "string" && typeof r.text === "string" ? (r as Row) : undefined;
    } catch {
      return undefined;
    }
  };
  if (lines[0] && asRow(lines[0])) {
    return lines.map((l, i) => {
      const row = asRow(l);
      if (!row) throw new Error(`line ${i + 1} is not {"name", "label", "text"}`);
      return row;
    });
  }
  const json = JSON.parse(lenientJson(text)) as Record<string, { pseu_emotion?: string; text?: string }>;
  return Object.entries(json)
    .filter(([, e]) => typeof e.text === "string")
    .map(([name, e]) => ({ name, label: e.pseu_emotion ?? "", text: e.text! }));
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("bench:words needs a MERR fine-grained annotation file: npm run bench:words -- <MERR_fine_grained.json | subtitles.jsonl>\n");
    process.exit(2);
  }
  let rows: Row[];
  try {
    rows = readRows(file);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    process.stderr.write(`bench:words: cannot read ${file}: ${why}; give the MERR fine-grained JSON (an object keyed by sample name) or JSON lines of {"name", "label", "text"}\n`);
    process.exit(2);
  }
  const seen = new Set<string>();
  const labelled = rows.filter((r) => !seen.has(r.name) && seen.add(r.name) && isMerrLabel(r.label));
  if (!labelled.length) {
    process.stderr.write(`bench:words: ${file} holds no entry with a MERR label and a text\n`);
    process.exit(2);
  }
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
