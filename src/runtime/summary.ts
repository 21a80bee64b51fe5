import { isRecordInvalid, missingParts, readSampleRecord, readStageRecord, REUSED_CSV_TOOLS, type SampleRecord, type SampleStatus, type StageRecord } from "../core/records.ts";
import { collapseWarning, countLabel, formatDistribution, type LabelCounts } from "../core/label-balance.ts";
import { MERR_LABELS } from "../core/labels.ts";
import { describeUnlisted, findUnlisted } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";

export interface StageSummary {
  stage: string;
  done: number;
  /** Skipped as `filtered-out`: the samples the headline counts as filtered (absent in summaries before merr counted them apart). */
  filtered?: number;
  /** Skipped for any other reason. */
  skipped: number;
  failed: number;
  missing: number;
  /** reason code -> count, for skipped and failed samples. */
  reasons: Record<string, number>;
  /** The stage's own skip and failure messages by kind ({@link reasonKind}) -> count: why, under the codes. */
  why: Record<string, number>;
}

export interface RunSummary {
  total: number;
  samples: Record<SampleStatus | "pending", number>;
  stages: StageSummary[];
  /** One line per sample that is not done: id, status, first reason. */
  notDone: Array<{ id: string; status: SampleStatus | "pending"; stage?: string; code?: string; message?: string }>;
  /** Samples done without some parts (sample.json `notes`: no audio track, no speech): id and `stage code` per part. */
  partial?: Array<{ id: string; parts: string[] }>;
  /** How many finished samples got each AU pseudo-label and each final label. */
  labels: { pseudo: LabelCounts; final: LabelCounts };
  /**
   * Samples au-analyze passed on without a pseudo-label (no AU rule fired; kept for their ground-truth MERR
   * label, `keepLabelled`): they count in no pseudo-label and stay out of the coarse set.
   */
  withoutPseudo: number;
  /** Recognised transcripts that the gate kept out of the dataset, by reason. */
  transcriptsRejected: Record<string, number>;
  /** audio-tone's lip check verdicts (`still`: the captions do not give the voice to the person in view). */
  lipSync: Record<string, number>;
  /** Samples per set of face-analysis tools (sample.json `faceTools`). */
  faceTools: Record<string, number>;
  /**
   * Samples the run holds that the source did not list at the last build (listing.json): a clip renamed,
   * moved or deleted since. Absent for a run without a listing (built before merr wrote one).
   */
  unlisted?: string[];
  /** Label-collapse, mixed-tools and unlisted-sample warnings. */
  warnings: string[];
}

/**
 * A warning when a run's face analysis ran under several tool sets (workers with another ffmpeg or merr):
 * the same clip then does not always give the same AUs. Undefined for one set or none. Pure.
 */
export function mixedToolsWarning(faceTools: Readonly<Record<string, number>>): string | undefined {
  // Records of merr versions before the ffmpeg version was recorded lack it: such a set differs from no set
  // that only adds an ffmpeg version.
  const named = Object.keys(faceTools);
  const sets = Object.entries(faceTools)
    .filter(([tools]) => tools.includes(", ffmpeg ") || !named.some((other) => other.startsWith(`${tools}, ffmpeg `)))
    .sort((a, b) => b[1] - a[1]);
  if (sets.length < 2) return undefined;
  const list = sets.map(([tools, n]) => `${tools} (${n} sample${n === 1 ? "" : "s"})`).join("; ");
  // CSVs beside some clips and OpenFace run for the others: one source (the advice below would be followed already).
  if (sets.length === 2 && named.includes(REUSED_CSV_TOOLS) && named.includes("openface")) return undefined;
  if (named.includes(REUSED_CSV_TOOLS)) {
    // --reuse-openface-csv with CSVs beside some clips only: the others were analysed by an extractor.
    return `the AUs come from ${sets.length} sources: ${list}. A run's pseudo-labels are most alike from one source: put OpenFace's CSV beside every clip, or build with --set au-extract.extractor=openface (OpenFace runs for the clips without one)`;
  }
  return `face analysis ran under ${sets.length} tool sets: ${list}. The same clip can give other AUs under another set: give every worker the same merr and ffmpeg, then delete samples/<id>/stages/au-extract.json of the samples analysed under the other sets (sample.json faceTools names each sample's) and build again`;
}

/** Reads the records of the given samples and counts per stage and per sample status. */
export async function summarizeRun(outDir: string, samples: Sample[], stages: string[]): Promise<RunSummary> {
  const summary: RunSummary = {
    total: samples.length,
    samples: { done: 0, filtered: 0, skipped: 0, failed: 0, pending: 0 },
    stages: stages.map((stage) => ({ stage, done: 0, filtered: 0, skipped: 0, failed: 0, missing: 0, reasons: {}, why: {} })),
    notDone: [],
    partial: [],
    labels: { pseudo: {}, final: {} },
    withoutPseudo: 0,
    transcriptsRejected: {},
    lipSync: {},
    faceTools: {},
    warnings: [],
  };
  for (const sample of samples) {
    let rec: SampleRecord | undefined;
    try {
      rec = await readSampleRecord(outDir, sample.id);
    } catch (error) {
      if (!isRecordInvalid(error)) throw error;
      // An unreadable sample.json: the sample counts as failed, with the file and the fix as its reason.
      summary.samples.failed += 1;
      summary.notDone.push({ id: sample.id, status: "failed", code: error.code, message: error.message });
      for (const s of summary.stages) s.missing += 1;
      continue;
    }
    // A sample still in flight (no sample.json yet; an interrupted build) whose stage failed for good is
    // failed: its record says so, and a later build tries it again.
    const liveRecords = rec ? undefined : await Promise.all(stages.map(async (stage) => ({ stage, record: await readStageRecordForSummary(outDir, sample.id, stage) })));
    const failedLive = liveRecords?.find((l) => l.record?.status === "failed");
    const status = rec?.status ?? (failedLive ? "failed" : "pending");
    summary.samples[status] += 1;
    // The label distributions are the dataset's: a failed sample is in no set, so its labels are not counted.
    if (status !== "failed") {
      countLabel(summary.labels.pseudo, rec?.labels?.pseudo);
      countLabel(summary.labels.final, rec?.labels?.final);
    }
    if (rec?.stages["au-analyze"] === "done" && !rec.labels?.pseudo) summary.withoutPseudo += 1;
    countLabel(summary.transcriptsRejected, rec?.transcriptRejected);
    countLabel(summary.lipSync, rec?.lipSync);
    countLabel(summary.faceTools, rec?.faceTools);
    if (status !== "done") {
      const r = rec?.reasons[0] ?? (failedLive ? { stage: failedLive.stage, code: failedLive.record?.error?.code, message: failedLive.record?.error?.message } : undefined);
      summary.notDone.push({ id: sample.id, status, stage: r?.stage, code: r?.code, message: r?.message });
    } else {
      // A part the build was not asked for (trainer features without --features) is not missing.
      const parts = missingParts(rec?.notes).map((n) => `${n.stage} ${n.code}`);
      if (parts.length) summary.partial?.push({ id: sample.id, parts });
    }
    for (const s of summary.stages) {
      // sample.json carries every stage's status; stage records are read only for samples still in flight.
      const live = liveRecords?.find((l) => l.stage === s.stage)?.record;
      const status = rec ? rec.stages[s.stage] : live?.status;
      if (!status || status === "missing") {
        s.missing += 1;
        continue;
      }
      if (status === "done") {
        s.done += 1;
        continue;
      }
      const own = rec?.reasons.find((r) => r.stage === s.stage) ?? rec?.notes?.find((r) => r.stage === s.stage);
      const liveReason = live?.[status === "failed" ? "error" : "skip"];
      // A stage skipped without a reason of its own waited for another: in a failed sample, for the failure.
      const code = own?.code ?? (rec ? (status === "failed" ? "failed" : rec.status === "failed" ? "upstream-failed" : "upstream-skipped") : liveReason?.code);
      if (status === "skipped" && code === "filtered-out") s.filtered = (s.filtered ?? 0) + 1;
      else s[status] += 1;
      if (code) s.reasons[code] = (s.reasons[code] ?? 0) + 1;
      // The stage's own reasons only: "upstream-skipped" says which earlier stage, which has its own line.
      const message = own?.message ?? (code === "upstream-skipped" ? undefined : liveReason?.message);
      if (message) countLabel(s.why, reasonKind(message));
    }
  }
  for (const [kind, counts] of [["pseudo-label", summary.labels.pseudo], ["final label", summary.labels.final]] as const) {
    const warning = collapseWarning(kind, counts);
    if (warning) summary.warnings.push(warning);
  }
  const mixed = mixedToolsWarning(summary.faceTools);
  if (mixed) summary.warnings.push(mixed);
  const unlisted = findUnlisted(outDir);
  if (unlisted) summary.unlisted = unlisted.ids;
  if (unlisted?.ids.length) summary.warnings.push(describeUnlisted(outDir, unlisted, (them) => `merr export leaves ${them} out (--keep-unlisted exports ${them})`));
  return summary;
}

/** A stage record of a sample still in flight; an unreadable one counts as a failure with E_RECORD_INVALID. */
async function readStageRecordForSummary(outDir: string, sampleId: string, stage: string): Promise<Pick<StageRecord, "status" | "error" | "skip"> | undefined> {
  try {
    return await readStageRecord(outDir, sampleId, stage);
  } catch (error) {
    if (!isRecordInvalid(error)) throw error;
    return { status: "failed", error: { code: error.code, message: error.message } };
  }
}

const LABEL_WORDS = new RegExp(`\\b(?:${MERR_LABELS.join("|")})\\b`, "g");

/**
 * A number that stands alone ("within 120000 ms", "31 px", "61%", "3 words"): not one inside a word or a
 * model spec (`llava:13b`, `gemini-1.5-flash`, `Qwen2`, `AU12`), nor an HTTP status ("HTTP 429" and "HTTP
 * 400" are different kinds), nor a part of an address (`127.0.0.1`).
 */
const LONE_NUMBER = /(?<![\w.:/-])(?<!HTTP )\d+(?:\.\d+)?%?(?![\w:/-]|\.\d)/g;

/**
 * The kind of a skip or failure message, for counting: its first clause (up to ": ", after a leading
 * source such as a model spec or a path), without its leading [code], quoted words, parentheses, file
 * names, lone numbers ({@link LONE_NUMBER}) or MERR label words ("no clue supports the label sad" and "... the
 * label angry" are one kind: "no clue supports the label"). Pure.
 */
export function reasonKind(message: string): string {
  const text = message.replace(/^\[[A-Z0-9_]+\]\s*/, "").replace(/"[^"]*"|“[^”]*”|\([^)]*\)/g, " ");
  const parts = text.split(": ");
  // A leading source (a model spec, a path, a file name: no space in it) is not the kind.
  while (parts.length > 1 && !/\s/.test(parts[0]!.trim())) parts.shift();
  const kind = (parts[0] ?? text)
    .replace(/\S*\/\S*|\S*\.(?:mp4|m4v|mkv|mov|avi|flv|webm|mpg|mpeg|ts|wav|mp3|m4a|aac|flac|ogg|opus|csv|json|srt|vtt|ass|jpg|jpeg|png)\b/gi, "<file>")
    .replace(LONE_NUMBER, "N")
    .replace(LABEL_WORDS, " ")
    .replace(/\s+/g, " ")
    .replace(/ ([,;])/g, "$1")
    .replace(/[\s,.;]+$/, "")
    .trim();
  return kind || message.slice(0, 60);
}

/** `kind ×n, ...` for the most frequent kinds, then how many others. */
function formatKinds(counts: Readonly<Record<string, number>>, max = 6): string {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, max).map(([k, v]) => `${k} ×${v}`);
  const rest = sorted.slice(max).reduce((n, [, v]) => n + v, 0);
  return rest ? `${shown.join(", ")}, other ×${rest}` : shown.join(", ");
}

/** Human-readable summary table. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `samples: ${s.total} (${s.samples.done} done, ${s.samples.filtered} filtered, ${s.samples.skipped} skipped, ${s.samples.failed} failed${s.samples.pending ? `, ${s.samples.pending} pending` : ""})`,
  ];
  // Summaries written before merr recorded partial samples have no list.
  const partial = s.partial ?? [];
  if (partial.length) {
    const parts: Record<string, number> = {};
    for (const p of partial) for (const part of p.parts) countLabel(parts, part);
    const ids = partial.slice(0, 5).map((p) => p.id).join(", ");
    lines.push(`  of the done, ${partial.length} without some parts: ${formatKinds(parts)} (${ids}${partial.length > 5 ? ", …" : ""})`);
  }
  const w = Math.max(...s.stages.map((x) => x.stage.length), 5);
  lines.push(`${"stage".padEnd(w)}  done  filtered  skipped  failed  reasons`);
  for (const x of s.stages) {
    const reasons = Object.entries(x.reasons).map(([k, v]) => `${k}×${v}`).join(", ");
    lines.push(
      `${x.stage.padEnd(w)}  ${String(x.done).padStart(4)}  ${String(x.filtered ?? 0).padStart(8)}  ${String(x.skipped).padStart(7)}  ${String(x.failed).padStart(6)}  ${reasons}`,
    );
  }
  for (const x of s.stages) if (Object.keys(x.why ?? {}).length) lines.push(`why at ${x.stage}: ${formatKinds(x.why)}`);
  if (Object.keys(s.labels.pseudo).length || Object.keys(s.labels.final).length) {
    const without = s.withoutPseudo ? `; ${s.withoutPseudo} kept without one (no AU rule fired, ground truth a MERR label: fine set only)` : "";
    lines.push(`pseudo-labels: ${formatDistribution(s.labels.pseudo)}${without}`);
    lines.push(`final labels:  ${formatDistribution(s.labels.final)}`);
  }
  const rejected = Object.values(s.transcriptsRejected ?? {}).reduce((a, b) => a + b, 0);
  if (rejected) {
    const why = Object.entries(s.transcriptsRejected).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}×${v}`).join(", ");
    lines.push(`transcripts rejected: ${rejected} (${why}); those clips have no subtitle`);
  }
  const lips = s.lipSync;
  if (Object.keys(lips).length) {
    const order = ["moving", "still", "unclear", "not-seen"];
    const counts = Object.entries(lips).sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([k, v]) => `${k} ${v}`).join(", ");
    lines.push(`lip check: ${counts}${lips.still ? ` (still: the lips did not move with the voice, which the captions do not give to the person)` : ""}`);
  }
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  if (s.notDone.length) {
    lines.push("not done:");
    for (const n of s.notDone.slice(0, 50)) lines.push(`  ${n.id}: ${n.status}${n.stage ? ` at ${n.stage}` : ""}${n.code && !n.message?.startsWith(`[${n.code}]`) ? ` [${n.code}]` : ""} ${n.message ?? ""}`.trimEnd());
    if (s.notDone.length > 50) lines.push(`  … and ${s.notDone.length - 50} more (see summary.json)`);
  }
  return lines.join("\n");
}
