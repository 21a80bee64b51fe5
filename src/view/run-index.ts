import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { entryFromRecords, type MerrEntry } from "../core/merr-entry.ts";
import { sampleDir } from "../core/paths.ts";
import { foldReviews, loadReviews, reviewsBySample, type ReviewRecord } from "../core/reviews.ts";
import { readSampleRecordsSync } from "../export/load-entries.ts";
import { rowOf, type ViewRow } from "./rows.ts";

interface Indexed {
  /** mtimes of `stages/` and `sample.json` when read: a change of either re-reads the sample. */
  stamp: string;
  entry: Pick<MerrEntry, "name" | "status" | "reasons" | "pseuEmotion" | "finalLabel" | "sample" | "confidence" | "inputs">;
}

const mtime = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

/**
 * The rows of a run, kept up to date while a build writes into it: {@link refresh} re-reads only the
 * samples whose `stages/` folder or `sample.json` changed (two stats per sample), and only new review
 * files (a decision file is never rewritten).
 */
export class RunIndex {
  readonly runDir: string;
  private readonly samples = new Map<string, Indexed>();
  private readonly reviewCache = new Map<string, ReviewRecord | null>();
  private reviews = new Map<string, ReviewRecord[]>();
  private ordered: ViewRow[] = [];
  private byId = new Map<string, ViewRow>();
  private refreshedAt = 0;
  unreadableReviews: string[] = [];

  constructor(runDir: string) {
    this.runDir = path.resolve(runDir);
  }

  /** Re-reads what changed since the last call. */
  refresh(): void {
    let ids: string[];
    try {
      ids = readdirSync(path.join(this.runDir, "samples")).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      ids = [];
    }
    const seen = new Set<string>();
    for (const id of ids) {
      const dir = sampleDir(this.runDir, id);
      const stamp = `${mtime(path.join(dir, "stages"))}:${mtime(path.join(dir, "sample.json"))}`;
      if (stamp === "-1:-1") continue; // not a sample folder (yet)
      seen.add(id);
      if (this.samples.get(id)?.stamp === stamp) continue;
      const e = entryFromRecords(readSampleRecordsSync(this.runDir, id));
      this.samples.set(id, {
        stamp,
        entry: { name: e.name, status: e.status, reasons: e.reasons, pseuEmotion: e.pseuEmotion, finalLabel: e.finalLabel, sample: e.sample, confidence: e.confidence, inputs: e.inputs },
      });
    }
    for (const id of [...this.samples.keys()]) if (!seen.has(id)) this.samples.delete(id);
    const loaded = loadReviews(this.runDir, this.reviewCache);
    this.unreadableReviews = loaded.unreadable;
    this.reviews = reviewsBySample(loaded.records);
    this.ordered = [...this.samples.values()].map(({ entry }) => this.rowFor(entry));
    this.byId = new Map(this.ordered.map((r) => [r.id, r]));
    this.refreshedAt = Date.now();
  }

  /** Refreshes when the last refresh is older than `maxAgeMs` (a build may be writing). */
  fresh(maxAgeMs = 2000): readonly ViewRow[] {
    if (Date.now() - this.refreshedAt > maxAgeMs) this.refresh();
    return this.ordered;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A sample's decisions, oldest first. */
  reviewsOf(id: string): ReviewRecord[] {
    return this.reviews.get(id) ?? [];
  }

  private rowFor(entry: Indexed["entry"]): ViewRow {
    const records = this.reviews.get(entry.name);
    return rowOf(entry, records ? foldReviews(records, entry.inputs) : undefined);
  }
}
