import { readdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { MerrError } from "./errors.ts";
import { readJsonIfExistsSync, writeJsonAtomic } from "./fs.ts";
import { sampleRecordPath } from "./records.ts";

/**
 * Which clips a run holds under which ids: what a build needs to keep a clip's id (sources/assign-ids.ts)
 * and what export and status need to find the samples the source no longer lists.
 *
 *     <out>/listing.json    Listing: every clip the source listed at the last build, before --ids and --limit
 *     <out>/samples/<id>/   a sample; its sample.json records the clip's path
 */

export const ListingSchema = z.object({
  source: z.string(),
  /** The `--input` of the build, resolved. */
  input: z.string().optional(),
  listedAt: z.string(),
  samples: z.array(z.object({ id: z.string(), path: z.string() })),
});
export type Listing = z.infer<typeof ListingSchema>;

export const listingPath = (outDir: string): string => path.join(outDir, "listing.json");

export async function writeListing(outDir: string, listing: Listing): Promise<void> {
  await writeJsonAtomic(listingPath(outDir), listing);
}

/** The run's listing; `undefined` for a run built before merr wrote one; E_RECORD_INVALID when it cannot be read. */
export function readListing(outDir: string): Listing | undefined {
  const file = listingPath(outDir);
  let raw: unknown;
  try {
    raw = readJsonIfExistsSync(file);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    raw = null;
  }
  if (raw === undefined) return undefined;
  const parsed = ListingSchema.safeParse(raw);
  if (!parsed.success) {
    throw new MerrError("E_RECORD_INVALID", `${file}: not a listing of this merr; delete it and build again (the build writes it anew)`, { details: { file } });
  }
  return parsed.data;
}

/**
 * The ids of the sample folders under `<out>/samples` (none for a new run), in NFC: HFS+ hands names
 * back decomposed, and ids are NFC.
 */
export function listSampleIds(outDir: string): string[] {
  try {
    return readdirSync(path.join(outDir, "samples"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith("."))
      .map((d) => d.name.normalize("NFC"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

/** What a run folder says about the ids it holds. */
export interface RunSampleIds {
  /** True when the run holds a sample folder with this id. */
  has(id: string): boolean;
  /** The clip the run holds under `id`: its sample.json's path, else the last listing's; read only when asked. */
  pathOf(id: string): string | undefined;
}

/** Lists `<out>/samples` once; `pathOf` reads one sample.json per id it is asked about (and the listing at most once). */
export function readRunSampleIds(outDir: string): RunSampleIds {
  const ids = new Set(listSampleIds(outDir));
  const paths = new Map<string, string | undefined>();
  let listed: Map<string, string> | undefined;
  const fromListing = (id: string): string | undefined => {
    listed ??= new Map((readListing(outDir)?.samples ?? []).map((s) => [s.id, s.path]));
    return listed.get(id);
  };
  return {
    has: (id) => ids.has(id),
    pathOf(id) {
      if (!ids.has(id)) return undefined;
      if (!paths.has(id)) paths.set(id, recordedPath(outDir, id) ?? fromListing(id));
      return paths.get(id);
    },
  };
}

/** The clip path a sample.json records; `undefined` when there is none or it cannot be read (the listing may know). */
function recordedPath(outDir: string, id: string): string | undefined {
  try {
    const rec = readJsonIfExistsSync<{ sample?: { path?: unknown } }>(sampleRecordPath(outDir, id));
    return typeof rec?.sample?.path === "string" ? rec.sample.path : undefined;
  } catch {
    // An unreadable sample.json is reported by the stages and the summary; here it only means "not known".
    return undefined;
  }
}

/** Samples a run holds that its source did not list at the last build. */
export interface Unlisted {
  source: string;
  input?: string;
  /** How many clips the source listed. */
  listed: number;
  /** Every unlisted id, sorted. */
  ids: string[];
  /**
   * The first few, with the clip each one was made from when its sample.json says, and the id the listing
   * gives that clip now when it still lists it (a second copy, made before merr kept ids).
   */
  examples: Array<{ id: string; path?: string; listedAs?: string }>;
}

/**
 * The run's samples that the last build's listing does not name (the clip was renamed, moved or deleted
 * since, or got another id); `undefined` when the run has no listing (built before merr wrote one).
 */
export function findUnlisted(outDir: string, examples = 3): Unlisted | undefined {
  const listing = readListing(outDir);
  if (!listing) return undefined;
  const known = new Set(listing.samples.map((s) => s.id));
  const byPath = new Map(listing.samples.map((s) => [s.path, s.id]));
  const ids = listSampleIds(outDir).filter((id) => !known.has(id)).sort();
  return {
    source: listing.source,
    ...(listing.input ? { input: listing.input } : {}),
    listed: listing.samples.length,
    ids,
    examples: ids.slice(0, examples).map((id) => {
      const p = recordedPath(outDir, id);
      const listedAs = p === undefined ? undefined : byPath.get(p);
      return { id, ...(p !== undefined ? { path: p } : {}), ...(listedAs !== undefined ? { listedAs } : {}) };
    }),
  };
}

/**
 * One line on unlisted samples: how many, a few of them, what becomes of them (`consequence`, given
 * "it" or "them"), and the fix.
 */
export function describeUnlisted(outDir: string, u: Unlisted, consequence: (them: string) => string): string {
  const n = u.ids.length;
  const them = n === 1 ? "it" : "them";
  const more = n > u.examples.length ? n - u.examples.length : 0;
  const named = u.examples.map((e) => (e.path ? `${e.id} (${e.path}${e.listedAs ? `, listed now as ${e.listedAs}` : ""})` : e.id)).join(", ");
  const quote = (p: string): string => (/[^\w./-]/.test(p) ? `'${p.replace(/'/g, "'\\''")}'` : p);
  const rm = u.examples.map((e) => quote(path.join(outDir, "samples", e.id))).join(" ");
  return (
    `${n} sample${n === 1 ? "" : "s"} in ${path.join(outDir, "samples")} ${n === 1 ? "is" : "are"} not among the ${u.listed} clip${u.listed === 1 ? "" : "s"} ` +
    `--source ${u.source}${u.input ? ` --input ${u.input}` : ""} listed at the last build (a clip renamed, moved or deleted since, or an old copy of a clip listed under another id): ` +
    `${named}${more ? `, and ${more} more` : ""}; ${consequence(them)}. ` +
    `Remove ${them} (rm -r ${rm}${more ? " ..." : ""}), or build again from the source that lists ${them}`
  );
}
