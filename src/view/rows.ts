import { collapseWarning, countLabel, type LabelCounts } from "../core/label-balance.ts";
import { normaliseLabel } from "../core/labels.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import { missingParts } from "../core/records.ts";
import { reviewStatus, type ReviewState } from "../core/reviews.ts";

/**
 * The sample list of `merr view`: one small row per sample, filtered, counted per facet, sorted and
 * paged on the server, so a run of 30,000 samples sends the browser one page. Pure.
 */

export interface ViewRow {
  id: string;
  status: string;
  /** `stage/code` of every reason the sample is not done. */
  reasons: string[];
  /** The first reason's message. */
  reason?: string;
  pseudo?: string;
  final?: string;
  /** The sample's given label (ground truth), normalised (`ANG` -> `angry`). */
  truth?: string;
  /** Whether the labels present (pseudo, final, truth: at least two) all agree. */
  agreement: "agree" | "disagree" | "n/a";
  confidence?: number;
  review: ReturnType<typeof reviewStatus>;
  /** The reviewer's label when relabelled. */
  reviewedLabel?: string;
  /** Some decision on this sample was made on inputs that changed since. */
  stale: boolean;
  /** audio-tone's lip check (`still`: the captions do not give the voice to the person), when it ran. */
  lips?: string;
}

const label = (raw: string | undefined): string | undefined => (raw === undefined || raw.trim() === "" ? undefined : normaliseLabel(raw) || raw);

export function agreementOf(labels: ReadonlyArray<string | undefined>): ViewRow["agreement"] {
  const present = labels.filter((l): l is string => l !== undefined);
  if (present.length < 2) return "n/a";
  return present.every((l) => l === present[0]) ? "agree" : "disagree";
}

/** The row of one sample (review fields from its folded decisions). */
export type RowSource = Pick<MerrEntry, "name" | "status" | "reasons" | "notes" | "pseuEmotion" | "finalLabel" | "sample" | "confidence" | "lipSync">;

export function rowOf(e: RowSource, review: ReviewState | undefined): ViewRow {
  const pseudo = label(e.pseuEmotion);
  const final = label(e.finalLabel);
  const truth = label(e.sample?.label);
  // A done sample's missing parts (no audio, no speech) are listed and filtered like reasons.
  const missing = missingParts(e.notes);
  const first = e.reasons[0] ?? missing[0];
  return {
    id: e.name,
    status: e.status,
    reasons: [...e.reasons, ...missing].map((r) => `${r.stage}/${r.code}`),
    ...(first ? { reason: first.message } : {}),
    ...(pseudo ? { pseudo } : {}),
    ...(final ? { final } : {}),
    ...(truth ? { truth } : {}),
    agreement: agreementOf([pseudo, final, truth]),
    ...(e.confidence !== undefined ? { confidence: e.confidence } : {}),
    review: reviewStatus(review),
    ...(review?.label && review.applied > 0 ? { reviewedLabel: review.label } : {}),
    stale: (review?.stale ?? 0) > 0,
    ...(e.lipSync ? { lips: e.lipSync } : {}),
  };
}

/** Confidence bins of the facet (the fine stage's confidence in [0, 1]). */
export function confidenceBin(c: number | undefined): string {
  if (c === undefined) return "none";
  if (c < 0.3) return "<0.3";
  if (c < 0.5) return "0.3-0.5";
  if (c < 0.7) return "0.5-0.7";
  return ">=0.7";
}

export const FACETS = ["status", "reason", "pseudo", "final", "truth", "agreement", "confidence", "lips", "review"] as const;
export type Facet = (typeof FACETS)[number];

const facetValues = (r: ViewRow, f: Facet): string[] => {
  switch (f) {
    case "status":
      return [r.status];
    case "reason":
      return r.reasons.length ? r.reasons : ["none"];
    case "pseudo":
      return [r.pseudo ?? "none"];
    case "final":
      return [r.final ?? "none"];
    case "truth":
      return [r.truth ?? "none"];
    case "agreement":
      return [r.agreement];
    case "confidence":
      return [confidenceBin(r.confidence)];
    case "lips":
      return [r.lips ?? "none"];
    case "review":
      return r.stale && r.review !== "stale" ? [r.review, "stale"] : [r.review];
  }
};

export const SORT_KEYS = ["id", "status", "reason", "pseudo", "final", "truth", "agreement", "confidence", "review"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface RowQuery {
  /** Facet -> accepted values (any of them). */
  filters: Partial<Record<Facet, readonly string[]>>;
  /** Substring of the sample id. */
  q?: string;
  sort: SortKey;
  desc: boolean;
  /** 0-based page. */
  page: number;
  size: number;
}

export interface RowPage {
  total: number;
  /** Samples in the run. */
  all: number;
  page: number;
  size: number;
  rows: ViewRow[];
  /** Facet -> value -> count over the rows that pass every other filter. */
  facets: Record<Facet, Record<string, number>>;
  /** Label distributions of the filtered rows (the reviewed label where there is one) and their collapse warnings. */
  distribution: { pseudo: LabelCounts; final: LabelCounts };
  warnings: string[];
}

/** Parses `?status=done,filtered&sort=confidence&desc=1&page=2` into a query. Unknown values are ignored. */
export function parseRowQuery(params: Record<string, unknown>): RowQuery {
  const str = (k: string): string | undefined => (typeof params[k] === "string" ? (params[k] as string) : undefined);
  const filters: RowQuery["filters"] = {};
  for (const f of FACETS) {
    const v = str(f);
    if (v) filters[f] = v.split(",").filter(Boolean);
  }
  const sort = (SORT_KEYS as readonly string[]).includes(str("sort") ?? "") ? (str("sort") as SortKey) : "id";
  const int = (k: string, d: number, max: number): number => {
    const n = Number(str(k));
    return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : d;
  };
  return { filters, q: str("q")?.trim() || undefined, sort, desc: str("desc") === "1", page: int("page", 0, 1e6), size: Math.max(1, int("size", 50, 500)) };
}

const sortValue = (r: ViewRow, k: SortKey): string | number => {
  switch (k) {
    case "confidence":
      return r.confidence ?? -1;
    case "reason":
      return r.reasons[0] ?? "";
    case "id":
    case "status":
    case "agreement":
    case "review":
      return r[k];
    default:
      return r[k] ?? "";
  }
};

/** The rows that pass the query, sorted (ties by id). */
export function filterRows(rows: readonly ViewRow[], query: Pick<RowQuery, "filters" | "q" | "sort" | "desc">): ViewRow[] {
  const active = FACETS.filter((f) => query.filters[f]?.length).map((f) => ({ f, want: new Set(query.filters[f]) }));
  const q = query.q?.toLowerCase();
  const out = rows.filter((r) => (!q || r.id.toLowerCase().includes(q)) && active.every(({ f, want }) => facetValues(r, f).some((v) => want.has(v))));
  return sortRows(out, query.sort, query.desc);
}

function sortRows(rows: ViewRow[], key: SortKey, desc: boolean): ViewRow[] {
  const sign = desc ? -1 : 1;
  return rows.sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c !== 0 ? sign * c : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** One page of the filtered, sorted rows with the facet counts and label distributions. */
export function queryRows(rows: readonly ViewRow[], query: RowQuery): RowPage {
  const active = FACETS.filter((f) => query.filters[f]?.length).map((f) => ({ f, want: new Set(query.filters[f]) }));
  const q = query.q?.toLowerCase();
  const facets = Object.fromEntries(FACETS.map((f) => [f, {} as Record<string, number>])) as RowPage["facets"];
  const bump = (f: Facet, r: ViewRow): void => {
    for (const v of facetValues(r, f)) facets[f][v] = (facets[f][v] ?? 0) + 1;
  };
  const passed: ViewRow[] = [];
  for (const r of rows) {
    if (q && !r.id.toLowerCase().includes(q)) continue;
    let failed: Facet | undefined;
    let failures = 0;
    for (const { f, want } of active) {
      if (!facetValues(r, f).some((v) => want.has(v))) {
        failed = f;
        if (++failures > 1) break;
      }
    }
    if (failures === 0) {
      passed.push(r);
      for (const f of FACETS) bump(f, r);
    } else if (failures === 1 && failed) {
      bump(failed, r); // counts of a facet ignore that facet's own filter
    }
  }
  const distribution = { pseudo: {} as LabelCounts, final: {} as LabelCounts };
  for (const r of passed) {
    countLabel(distribution.pseudo, r.reviewedLabel ?? r.pseudo);
    countLabel(distribution.final, r.review === "rejected" ? undefined : (r.reviewedLabel ?? r.final));
  }
  const sorted = sortRows(passed, query.sort, query.desc);
  const pages = Math.max(1, Math.ceil(sorted.length / query.size));
  const page = Math.min(query.page, pages - 1);
  return {
    total: sorted.length,
    all: rows.length,
    page,
    size: query.size,
    rows: sorted.slice(page * query.size, (page + 1) * query.size),
    facets,
    distribution,
    warnings: [collapseWarning("pseudo-label", distribution.pseudo), collapseWarning("final label", distribution.final)].filter((w): w is string => w !== undefined),
  };
}
