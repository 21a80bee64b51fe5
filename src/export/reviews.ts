import type { MerrEntry } from "../core/merr-entry.ts";
import { foldReviews, reviewsBySample, type LoadedReviews } from "../core/reviews.ts";
import type { Counts } from "./select.ts";

/** What the reviews did to an export. */
export interface ReviewReport {
  /** Decision files read (and files under reviews/ that are not decisions). */
  decisions: number;
  unreadable: number;
  /** Samples with at least one applied decision. */
  reviewed: number;
  rejected: number;
  relabelled: number;
  captionEdited: number;
  /** Samples whose only decisions were made on inputs that changed since: treated as unreviewed. */
  stale: number;
  reviewedOnly: boolean;
}

/**
 * Applies the run's reviews to its entries. Pure. A rejected sample leaves the export
 * (`reviewed:rejected`); a relabel becomes the sample's label in both sets (the coarse set's
 * pseudo-label and the fine set's final label: the reviewer says what the clip shows; a sample without a
 * pseudo-label stays out of the coarse set); a caption edit
 * replaces the fine caption. Stale decisions are not applied. With `reviewedOnly`, a sample without an
 * applied decision leaves the export too (`not-reviewed`).
 */
export function applyReviews(
  entries: readonly MerrEntry[],
  reviews: LoadedReviews,
  reviewedOnly: boolean,
): { entries: MerrEntry[]; excluded: Counts; report: ReviewReport } {
  const bySample = reviewsBySample(reviews.records);
  const excluded: Counts = {};
  const report: ReviewReport = {
    decisions: reviews.records.length, unreadable: reviews.unreadable.length,
    reviewed: 0, rejected: 0, relabelled: 0, captionEdited: 0, stale: 0, reviewedOnly,
  };
  const out: MerrEntry[] = [];
  for (const e of entries) {
    const records = bySample.get(e.name);
    const state = records ? foldReviews(records, e.inputs) : undefined;
    if (state && state.stale > 0 && state.applied === 0) report.stale++;
    if (!state || state.applied === 0) {
      if (reviewedOnly) excluded["not-reviewed"] = (excluded["not-reviewed"] ?? 0) + 1;
      else out.push(e);
      continue;
    }
    report.reviewed++;
    if (state.decision === "rejected") {
      report.rejected++;
      excluded["reviewed:rejected"] = (excluded["reviewed:rejected"] ?? 0) + 1;
      continue;
    }
    const next: MerrEntry = { ...e };
    if (state.label !== undefined) {
      report.relabelled++;
      // A sample no AU rule fired on (kept for its ground truth) has no pseudo-label to replace: it stays a
      // fine entry only, as the coarse set is the AU rules'.
      if (e.pseuEmotion !== undefined) next.pseuEmotion = state.label;
      next.finalLabel = state.label;
      next.fineLabel = state.label;
      next.relabelled = true;
    }
    if (state.caption !== undefined) {
      report.captionEdited++;
      next.reason = state.caption;
    }
    out.push(next);
  }
  return { entries: out, excluded, report };
}
