/**
 * Label distributions of a run and the label-collapse guard. A dataset whose labels pile onto one or
 * two classes teaches a model nothing about the others; the real MERR fine-grained set's largest class
 * (neutral) holds 30 %. Pure.
 */

/** Samples labelled before the guard speaks: fewer say little about a distribution. */
export const COLLAPSE_MIN_SAMPLES = 10;
/** Share of the labelled samples above which one label counts as collapsed onto. */
export const COLLAPSE_SHARE = 0.5;

export type LabelCounts = Record<string, number>;

/** Adds one label to a count table (undefined labels are not counted). */
export function countLabel(counts: LabelCounts, label: string | undefined): void {
  if (label !== undefined) counts[label] = (counts[label] ?? 0) + 1;
}

/** "happy 4 (40%), sad 3 (30%), ...", largest first, ties by name. */
export function formatDistribution(counts: LabelCounts): string {
  const total = Object.values(counts).reduce((s, n) => s + n, 0);
  if (!total) return "none";
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => `${label} ${n} (${Math.round((100 * n) / total)}%)`)
    .join(", ");
}

/**
 * A warning when one label holds more than half of at least {@link COLLAPSE_MIN_SAMPLES} labelled
 * samples; undefined otherwise. `kind` names the distribution ("pseudo-label", "final label").
 */
export function collapseWarning(kind: string, counts: LabelCounts): string | undefined {
  const total = Object.values(counts).reduce((s, n) => s + n, 0);
  if (total < COLLAPSE_MIN_SAMPLES) return undefined;
  const [label, n] = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ["", 0];
  if (n / total <= COLLAPSE_SHARE) return undefined;
  // The advice on a known cause is for the AU rules' own labels (pseudo-labels); a final label has more causes.
  const known = kind.startsWith("pseudo-label") ? ADVICE[label] : undefined;
  const advice = known ?? "check the face analysis (docs/face-analyzer.md) and the AU rule thresholds before training on this set";
  return `${kind} collapse: "${label}" holds ${n} of ${total} labelled samples (${Math.round((100 * n) / total)}%); ${advice}`;
}

/**
 * The cause and fix of a collapse onto a label whose cause is known. `doubt` is the shipped merr rules'
 * lips-part fallback: it decides when the lips part and no other rule has two AUs of its pool at the peak.
 * With OpenFace's AUs that is about 3 % of real drama clips (bench:rules; a lower bound), so a collapse onto
 * it suggests the AU extractor reads fewer AUs at the peak frames than OpenFace, as on calm talking faces.
 */
const ADVICE: Readonly<Record<string, string>> = {
  doubt:
    "in the shipped merr rules doubt is the lips-part fallback, which decides when the lips part and no other rule has two AUs of its pool at the peak (about 3 % of real drama clips with OpenFace's AUs): the face analysis likely reads fewer AUs at these peaks than OpenFace, so look at a few of them (merr view); to filter such clips instead, give doubt a frame share speech does not reach (min_frame_fraction: 0.5) in a copy of au-rules/merr.yaml and build with --rules <file> (docs/au-analysis.md, Known limits)",
};
