import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { isCommittedJson, writeFileAtomic } from "./fs.ts";
import { MERR_LABELS, type MerrLabel } from "./labels.ts";

/**
 * Human review of a run's samples (`merr view`), the decisions `merr export` and `merr eval` honour.
 *
 *     <out>/reviews/<time>-<random>.json     one ReviewRecord per decision, never rewritten
 *
 * One file per decision, each with a name no other writer can pick (time plus 64 random bits) and
 * written atomically (temp file, then rename): two reviewers, or two `merr view` processes, writing at
 * the same moment both keep their decision, and no reader sees half a record. Rebuilding a run never
 * touches `reviews/`. A decision records the input fingerprint of each of the sample's stage records at
 * the time (`inputs`); when one of them has changed since (the clip, the transcript, an option or a
 * stage version changed and the stage ran again), the decision is stale: it is shown but not applied.
 */

export const REVIEW_ACTIONS = ["accept", "reject", "relabel", "caption"] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

export const ReviewRecordSchema = z
  .object({
    schema: z.literal("merr.review/1"),
    sample: z.string().min(1),
    action: z.enum(REVIEW_ACTIONS),
    /** relabel: the sample's label from now on. */
    label: z.enum(MERR_LABELS).optional(),
    /** caption: the fine caption from now on. */
    caption: z.string().optional(),
    reviewer: z.string().min(1),
    at: z.string(),
    /** Stage -> input fingerprint of the sample's records when the decision was made. */
    inputs: z.record(z.string(), z.string()),
  })
  .refine((r) => r.action !== "relabel" || r.label !== undefined, { message: "relabel needs a label" })
  .refine((r) => r.action !== "caption" || (r.caption !== undefined && r.caption.trim() !== ""), { message: "caption needs a caption" });
export type ReviewRecord = z.infer<typeof ReviewRecordSchema>;

export const reviewsDir = (outDir: string): string => path.join(outDir, "reviews");

/** Appends one decision (a new file). Returns the file name. */
export async function appendReview(outDir: string, record: ReviewRecord): Promise<string> {
  const parsed = ReviewRecordSchema.parse(record);
  const name = `${parsed.at.replace(/[^0-9TZ]/g, "")}-${randomBytes(8).toString("hex")}.json`;
  await writeFileAtomic(path.join(reviewsDir(outDir), name), `${JSON.stringify(parsed)}\n`);
  return name;
}

export interface LoadedReviews {
  /** Every readable decision, oldest first (by time, then file name). */
  records: ReviewRecord[];
  /** Files under reviews/ that are not a review record (named so they can be looked at). */
  unreadable: string[];
}

/**
 * Reads every decision of a run. `cache` (file name -> record) lets a long-running reader re-read only
 * new files: a decision file is never rewritten.
 */
export function loadReviews(outDir: string, cache?: Map<string, ReviewRecord | null>): LoadedReviews {
  let names: string[];
  try {
    names = readdirSync(reviewsDir(outDir)).filter(isCommittedJson);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { records: [], unreadable: [] };
    throw error;
  }
  const found: Array<{ name: string; record: ReviewRecord }> = [];
  const unreadable: string[] = [];
  for (const name of names.sort()) {
    let record = cache?.get(name);
    if (record === undefined) {
      try {
        const parsed = ReviewRecordSchema.safeParse(JSON.parse(readFileSync(path.join(reviewsDir(outDir), name), "utf8")));
        record = parsed.success ? parsed.data : null;
      } catch {
        // Not JSON (written by hand or by something else): reported as unreadable below, never applied.
        record = null;
      }
      cache?.set(name, record);
    }
    if (record) found.push({ name, record });
    else unreadable.push(name);
  }
  found.sort((a, b) => (a.record.at < b.record.at ? -1 : a.record.at > b.record.at ? 1 : a.name < b.name ? -1 : 1));
  return { records: found.map((f) => f.record), unreadable };
}

/** One sample's reviewed state: its decisions folded, oldest first, the later one winning. */
export interface ReviewState {
  /** accepted: the sample stays (with any relabel or caption edit); rejected: it leaves the dataset. */
  decision?: "accepted" | "rejected";
  label?: MerrLabel;
  caption?: string;
  /** Reviewers of the applied decisions, in order of first decision. */
  reviewers: string[];
  /** Time of the latest applied decision. */
  at?: string;
  /** Applied decisions. */
  applied: number;
  /** Decisions made on inputs that have changed since; not applied. */
  stale: number;
  /** Stages whose input changed since a stale decision. */
  staleStages: string[];
}

/** The stages whose fingerprint differs now from when the decision was made (a vanished record counts). */
export function changedInputs(record: Pick<ReviewRecord, "inputs">, current: Readonly<Record<string, string>>): string[] {
  return Object.keys(record.inputs).filter((stage) => current[stage] !== record.inputs[stage]).sort();
}

/**
 * Folds one sample's decisions (oldest first) against its current input fingerprints. Pure. Accept and
 * reject set the decision; a relabel or a caption edit also accepts the sample (the reviewer kept it).
 */
export function foldReviews(records: readonly ReviewRecord[], current: Readonly<Record<string, string>>): ReviewState {
  const state: ReviewState = { reviewers: [], applied: 0, stale: 0, staleStages: [] };
  const staleStages = new Set<string>();
  for (const r of records) {
    const changed = changedInputs(r, current);
    if (changed.length > 0) {
      state.stale++;
      for (const s of changed) staleStages.add(s);
      continue;
    }
    state.applied++;
    state.at = r.at;
    if (!state.reviewers.includes(r.reviewer)) state.reviewers.push(r.reviewer);
    if (r.action === "reject") state.decision = "rejected";
    else state.decision = "accepted";
    if (r.action === "relabel") state.label = r.label;
    if (r.action === "caption") state.caption = r.caption;
  }
  state.staleStages = [...staleStages].sort();
  return state;
}

/** Decisions grouped by sample id, each list oldest first. */
export function reviewsBySample(records: readonly ReviewRecord[]): Map<string, ReviewRecord[]> {
  const by = new Map<string, ReviewRecord[]>();
  for (const r of records) {
    const list = by.get(r.sample);
    if (list) list.push(r);
    else by.set(r.sample, [r]);
  }
  return by;
}

/** A one-word summary for lists and facets: unreviewed, accepted, relabelled, rejected or stale. */
export function reviewStatus(state: ReviewState | undefined): "unreviewed" | "accepted" | "relabelled" | "rejected" | "stale" {
  if (!state || (state.applied === 0 && state.stale === 0)) return "unreviewed";
  if (state.applied === 0) return "stale";
  if (state.decision === "rejected") return "rejected";
  return state.label !== undefined ? "relabelled" : "accepted";
}
