/**
 * AU rules on real peak frames: what the pseudo-label rules make of the peak frames of a real MERR
 * fine-grained set, whose `peak_AU_list` holds the AUs that OpenFace 2.x found active at the paper's peak
 * frame of each MER2023 TV-drama clip, and whose `pseu_emotion` is the clip's MER2023 label.
 *
 *     npm run bench:rules -- <MERR_fine_grained.json | peaks.jsonl> [rule set or file ...]
 *
 * The file is the MERR fine-grained JSON (an object keyed by sample name; `//` comments and line breaks
 * inside strings, as in some public copies, are tolerated) or JSON lines of `{"name", "label",
 * "peak_AU_list"}`. No such file is in the repository: the data is not ours to ship. Rule sets default to
 * `merr` and `merr` without its `doubt` fallback (`merr-clean` has the same pools and gives the same
 * figures); name others by name or path. `mer-factory` scores the mean intensity of a pool, which a peak
 * list does not hold: its figures here say more about the missing intensities than about its rules.
 *
 * Each clip becomes a one-frame OpenFace table: its peak AUs at intensity 1 and present, every other AU at
 * 0, and the rule set's own analysis runs on it (`analyzeAu`). So the rules see exactly the peak's AU set.
 * Two things they would also see on the clip itself are missing, and the figures are read with that in
 * mind: a rule's AUs must also be active in `min_frame_fraction` of the frames (one frame: always), and
 * ties between rules that fire equally are broken by intensity, which the peak lists do not give (here:
 * by the rule set's order).
 *
 * Figures:
 * - the peak frames: how many AUs are active, and each AU's share of the peaks;
 * - per rule set: the pseudo-label distribution (labelled clips only, as the coarse set holds them) with
 *   the collapse warning of `merr status`, how many clips no rule fires on, how many the `doubt` fallback
 *   decides, and agreement with the MER2023 label (a clip no rule fires on counts as neutral), overall and
 *   per label, with each label's most frequent rule outcomes;
 * - how many of these clips, all kept by the paper, the fine stage's contradiction check would filter on the
 *   OpenFace path (AU clues and a voice of middling arousal; no expression classifier): with the clues as
 *   the stage takes them (`cluesForLabel`), and with the rule label as the AU clue whatever the face shows;
 *   the other side, how often it filters a label of the opposite valence to the rule label (not the
 *   clip's own) given in its place; and how many the builtin backend keeps there (it needs a clue beyond the label's own AUs: the rule's
 *   label, or a voice or words that support it).
 */
import { loadAuRuleSet, parseAuRuleSet, type AuRuleSet } from "../src/core/au-rules.ts";
import { collapseWarning, countLabel, formatDistribution, type LabelCounts } from "../src/core/label-balance.ts";
import { isMerrLabel, MERR_LABELS } from "../src/core/labels.ts";
import { fuseEvidence, oppositeValence } from "../src/core/evidence-fusion.ts";
import { builtinFine, clueProblem, cluesForLabel, type FineClues } from "../src/core/fine-reasoning.ts";
import { reasonKind } from "../src/runtime/summary.ts";
import { benchRows, entryLabel, INTENSITY_AUS, peakAnalysis } from "./_merr-file.ts";

interface Row {
  name: string;
  label: string;
  peak: string[];
}

/** `merr` without its lips-part fallback: a clip no other rule fires on is filtered. */
function withoutFallback(rules: AuRuleSet): AuRuleSet {
  const { file: _file, hash: _hash, ...data } = rules;
  const emotions = Object.fromEntries(Object.entries(data.emotions).filter(([, e]) => !e.fallback));
  return parseAuRuleSet(JSON.stringify({ ...data, id: `${data.id}-no-fallback`, emotions }), `${rules.id} without its fallback rule`);
}

const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");

function describePeaks(rows: Row[]): string[] {
  const sizes = rows.map((r) => r.peak.length).sort((a, b) => a - b);
  const mid = sizes.length / 2;
  const median = sizes.length ? (sizes.length % 2 ? sizes[Math.floor(mid)]! : (sizes[mid - 1]! + sizes[mid]!) / 2) : 0;
  const share: LabelCounts = {};
  for (const r of rows) for (const au of new Set(r.peak)) countLabel(share, au);
  const labels: LabelCounts = {};
  for (const r of rows) countLabel(labels, r.label);
  const aus = [...INTENSITY_AUS, "AU28"].filter((a) => share[a]);
  return [
    `## peak frames of ${rows.length} clips (MER2023 labels: ${formatDistribution(labels)})`,
    `active AUs at the peak: median ${median}, mean ${(sizes.reduce((a, b) => a + b, 0) / (sizes.length || 1)).toFixed(2)}, none ${sizes.filter((s) => s === 0).length}`,
    `share of peaks with the AU active: ${aus.map((a) => `${a} ${(share[a]! / rows.length).toFixed(2)}`).join(", ")}`,
  ];
}

function measure(rows: Row[], rules: AuRuleSet): string[] {
  const labelled: LabelCounts = {};
  const perLabel = new Map<string, LabelCounts>();
  let none = 0;
  let dropped = 0;
  let byFallback = 0;
  let agree = 0;
  let judged = 0;
  let opposite = 0;
  // The fine stage's contradiction check on the OpenFace path (no expression classifier; a voice of middling
  // arousal, which leans to no label): with the clues as the stage uses them, and with the rule label alone.
  const gate = { minConfidence: 0.3, filterContradictions: true };
  let builtinKept = 0;
  const builtinWhy: LabelCounts = {};
  const contradicted: LabelCounts = {};
  const contradictedByRule: LabelCounts = {};
  // The other side: each label of the opposite valence to the rule label, given instead of the clip's own.
  let wrongPairs = 0;
  let wrongFiltered = 0;
  for (const r of rows) {
    const a = peakAnalysis(r.name, r.peak, rules);
    const outcome = a.pseu_emotion ?? (a.candidates.length ? "dropped" : "no rule");
    if (a.pseu_emotion) countLabel(labelled, a.pseu_emotion);
    else if (a.candidates.length) dropped += 1;
    else none += 1;
    if (a.emotion && rules.emotions[a.emotion]?.fallback) byFallback += 1;
    if (!isMerrLabel(r.label)) continue;
    judged += 1;
    const read = a.pseu_emotion ?? (a.candidates.length ? "dropped" : "neutral");
    if (read === r.label) agree += 1;
    if (a.pseu_emotion && oppositeValence(a.pseu_emotion, r.label)) opposite += 1;
    const clues: FineClues = {
      ...(a.pseu_emotion ? { au: { label: a.pseu_emotion, phrases: a.visual_prior_list, aus: a.AU_list } } : {}),
      labelAus: a.label_aus,
      tone: { arousal: 0.5, fragment: "speaks in a normal tone." },
    };
    const builtin = builtinFine(cluesForLabel(clues, r.label), r.label, gate);
    if (builtin.ok) builtinKept += 1;
    else countLabel(builtinWhy, reasonKind(builtin.reason));
    if (clueProblem(fuseEvidence(cluesForLabel(clues, r.label)), r.label, gate)) countLabel(contradicted, r.label);
    if (clueProblem(fuseEvidence(clues), r.label, gate)) countLabel(contradictedByRule, r.label);
    for (const wrong of MERR_LABELS) {
      if (wrong === r.label || !a.pseu_emotion || !oppositeValence(a.pseu_emotion, wrong) || !a.label_aus[wrong]) continue;
      wrongPairs += 1;
      if (clueProblem(fuseEvidence(cluesForLabel(clues, wrong)), wrong, gate)) wrongFiltered += 1;
    }
    const row = perLabel.get(r.label) ?? {};
    countLabel(row, outcome);
    perLabel.set(r.label, row);
  }
  const total = Object.values(labelled).reduce((s, n) => s + n, 0);
  const lines = [
    `## rules ${rules.id}: labelled ${total}/${rows.length}, no rule fired ${none}, fired a dropped emotion ${dropped}, decided by the fallback rule ${byFallback}`,
    ...(rules.pseudo_label.method === "mer-factory" ? ["(mer-factory scoring averages intensities, which peak lists lack: every active AU counts as 1 here)"] : []),
    `pseudo-labels: ${formatDistribution(labelled)}`,
    collapseWarning("pseudo-label", labelled) ?? "no label holds more than half",
    `agreement with the MER2023 label (no rule fired = neutral): ${agree}/${judged} (${pct(agree, judged)}); pseudo-label of the opposite valence: ${opposite}/${judged} (${pct(opposite, judged)})`,
  ];
  const sum = (c: LabelCounts) => Object.values(c).reduce((s, n) => s + n, 0);
  lines.push(
    `fine stage, OpenFace path: filtered as contradicting the MER2023 label ${sum(contradicted)}/${judged} (${formatDistribution(contradicted)}); ` +
      `with the rule label as the AU clue whatever the face shows of the label ${sum(contradictedByRule)}/${judged} (${formatDistribution(contradictedByRule)})`,
    `  a label of the opposite valence to the rule label (and not the clip's), given instead: filtered ${wrongFiltered}/${wrongPairs}`,
    `builtin fine, OpenFace path: kept ${builtinKept}/${judged}; filtered: ${Object.entries(builtinWhy).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ×${v}`).join(", ") || "none"}`,
  );
  for (const label of MERR_LABELS) {
    const row = perLabel.get(label);
    if (!row) continue;
    const n = Object.values(row).reduce((s, v) => s + v, 0);
    const right = label === "neutral" ? (row["no rule"] ?? 0) : (row[label] ?? 0);
    const top = Object.entries(row).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 4);
    lines.push(`  ${label.padEnd(8)} ${String(right).padStart(4)}/${String(n).padEnd(4)} (${pct(right, n).padStart(6)})  ${top.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const { file, rows: unique } = benchRows("bench:rules", "<MERR_fine_grained.json | peaks.jsonl> [rule set or file ...]", '"name", "label", "peak_AU_list"', (e) =>
    Array.isArray(e.peak_AU_list) ? { name: e.name, label: entryLabel(e), peak: e.peak_AU_list.map(String) } : undefined,
  );
  const names = process.argv.slice(3);
  const known = new Set([...INTENSITY_AUS, "AU28"]);
  const unknown = [...new Set(unique.flatMap((r) => r.peak.filter((au) => !known.has(au))))];
  if (unknown.length) process.stderr.write(`bench:rules: AU codes OpenFace 2.x does not output are left out: ${unknown.join(", ")}\n`);
  const sets: AuRuleSet[] = [];
  if (names.length) {
    for (const n of names) {
      try {
        sets.push(await loadAuRuleSet(n));
      } catch (error) {
        process.stderr.write(`bench:rules: ${(error as Error).message}\n`);
        process.exit(2);
      }
    }
  } else {
    const merr = await loadAuRuleSet("merr");
    sets.push(merr, withoutFallback(merr));
  }
  const out = [`# AU rules on the peak frames of ${file.split("/").pop()}`, ...describePeaks(unique)];
  for (const rules of sets) out.push("", ...measure(unique, rules));
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
