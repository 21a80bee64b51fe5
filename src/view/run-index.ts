import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { entryFromRecords } from "../core/merr-entry.ts";
import { describeUnlisted, findUnlisted, listingPath } from "../core/run-samples.ts";
import { sampleDir } from "../core/paths.ts";
import { SampleRecordSchema, stageRecordPath } from "../core/records.ts";
import { foldReviews, loadReviews, reviewsBySample, type ReviewRecord } from "../core/reviews.ts";
import { readSampleRecordsSync } from "../export/load-entries.ts";
import { rowOf, type RowSource, type ViewRow } from "./rows.ts";

interface Indexed {
  /** mtimes of `stages/` and `sample.json` when read: a change of either re-reads the sample. */
  stamp: string;
  entry: RowSource;
  /** Stage input fingerprints, read only for samples with decisions (staleness needs them). */
  inputs?: Record<string, string>;
}

const mtime = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // Missing, or half-written by a build that is still running: the next refresh reads it again.
    return undefined;
  }
}

/**
 * The rows of a run, kept up to date while a build writes into it. A finished sample costs two small
 * reads (`sample.json`, which holds its status, reasons and labels, and the fine record for the
 * confidence); only a sample still running, or one with review decisions, has all its stage records
 * read. A refresh re-reads only the samples whose `stages/` folder or `sample.json` changed (two stats
 * each), and only new review files (a decision file is never rewritten).
 */
export class RunIndex {
  readonly runDir: string;
  private readonly samples = new Map<string, Indexed>();
  private readonly reviewCache = new Map<string, ReviewRecord | null>();
  private reviews = new Map<string, ReviewRecord[]>();
  private reviewsRead = false;
  private ordered: ViewRow[] = [];
  private byId = new Map<string, ViewRow>();
  unreadableReviews: string[] = [];
  private unlisted: { key: string; warning: string | undefined } | undefined;
  /** Counts the samples that came or went (not the changes of a sample: those leave the listing's verdict alone). */
  private generation = 0;

  constructor(runDir: string) {
    this.runDir = path.resolve(runDir);
  }

  /** Re-reads what changed since the last refresh, at once. Returns whether anything changed. */
  refresh(): boolean {
    let changed = this.sweep(this.sampleIds());
    changed = this.loadReviews() || changed;
    if (changed) this.rebuild();
    return changed;
  }

  /** The same as {@link refresh} in slices of 500 samples, so requests are answered while it runs. */
  async refreshInBackground(signal?: AbortSignal): Promise<boolean> {
    const ids = this.sampleIds();
    let changed = false;
    for (let i = 0; i < ids.length && !signal?.aborted; i += 500) {
      changed = this.sweep(ids.slice(i, i + 500), i === 0 ? ids : undefined) || changed;
      await yieldToLoop();
    }
    changed = this.loadReviews() || changed;
    if (changed) this.rebuild();
    return changed;
  }

  /** Re-reads one sample (after a decision on it, or a request for one the index has not seen yet). */
  refreshSample(id: string): void {
    const changed = this.read(id);
    if (this.loadReviews() || changed) this.rebuild();
  }

  rows(): readonly ViewRow[] {
    return this.ordered;
  }

  /**
   * The run's samples its source did not list at the last build (core/run-samples.ts), as the summary and
   * `merr export` say it: a reviewer should know that the export leaves them out. Read again only when the
   * listing or the set of samples changed.
   */
  unlistedWarning(): string | undefined {
    const key = `${mtime(listingPath(this.runDir))}:${this.generation}`;
    if (this.unlisted?.key !== key) {
      const u = findUnlisted(this.runDir);
      this.unlisted = { key, warning: u?.ids.length ? describeUnlisted(this.runDir, u, (them) => `merr export leaves ${them} out (--keep-unlisted exports ${them})`) : undefined };
    }
    return this.unlisted.warning;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A sample's decisions, oldest first. */
  reviewsOf(id: string): ReviewRecord[] {
    return this.reviews.get(id) ?? [];
  }

  private sampleIds(): string[] {
    try {
      return readdirSync(path.join(this.runDir, "samples")).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return [];
    }
  }

  /** Reads the samples of `ids` that changed; with `all`, also forgets samples no longer there. */
  private sweep(ids: readonly string[], all?: readonly string[]): boolean {
    let changed = false;
    if (all) {
      const present = new Set(all);
      for (const id of [...this.samples.keys()]) {
        if (!present.has(id) && this.samples.delete(id)) {
          this.generation += 1;
          changed = true;
        }
      }
    }
    for (const id of ids) changed = this.read(id) || changed;
    return changed;
  }

  private read(id: string): boolean {
    const dir = sampleDir(this.runDir, id);
    const stamp = `${mtime(path.join(dir, "stages"))}:${mtime(path.join(dir, "sample.json"))}`;
    if (stamp === "-1:-1") {
      // not a sample folder (yet)
      if (!this.samples.delete(id)) return false;
      this.generation += 1;
      return true;
    }
    if (this.samples.get(id)?.stamp === stamp) return false;
    const parsed = SampleRecordSchema.safeParse(readJson(path.join(dir, "sample.json")));
    let entry: RowSource;
    // sample.json carries the sample's labels (runtime labelsOf); one written before it did is read in full
    if (parsed.success && parsed.data.labels) {
      const r = parsed.data;
      const fine = readJson(stageRecordPath(this.runDir, id, "fine")) as { output?: { confidence?: unknown } } | undefined;
      const confidence = fine?.output?.confidence;
      entry = {
        name: id, status: r.status, reasons: r.reasons, ...(r.notes?.length ? { notes: r.notes } : {}), sample: r.sample, pseuEmotion: r.labels?.pseudo, finalLabel: r.labels?.final,
        ...(r.lipSync ? { lipSync: r.lipSync } : {}),
        ...(typeof confidence === "number" && Number.isFinite(confidence) ? { confidence } : {}),
      };
    } else {
      entry = entryFromRecords(readSampleRecordsSync(this.runDir, id)); // still running: its stage records say what it has
    }
    if (!this.samples.has(id)) this.generation += 1;
    this.samples.set(id, { stamp, entry });
    return true;
  }

  private loadReviews(): boolean {
    const before = this.reviewCache.size;
    const loaded = loadReviews(this.runDir, this.reviewCache);
    if (this.reviewCache.size === before && this.reviewsRead) return false;
    this.reviewsRead = true;
    this.unreadableReviews = loaded.unreadable;
    this.reviews = reviewsBySample(loaded.records);
    return true;
  }

  private rebuild(): void {
    this.ordered = [...this.samples.values()].sort((a, b) => (a.entry.name < b.entry.name ? -1 : 1)).map((s) => this.rowFor(s));
    this.byId = new Map(this.ordered.map((r) => [r.id, r]));
  }

  private rowFor(s: Indexed): ViewRow {
    const records = this.reviews.get(s.entry.name);
    if (!records) return rowOf(s.entry, undefined);
    s.inputs ??= entryFromRecords(readSampleRecordsSync(this.runDir, s.entry.name)).inputs;
    return rowOf(s.entry, foldReviews(records, s.inputs));
  }
}
