import path from "node:path";
import { shortHash, toLegacySafeId, toSafeId } from "../core/ids.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import { stripVideoExtension } from "./video-files.ts";

export interface Candidate {
  /** Absolute path of the clip. */
  path: string;
  /** Path relative to the source root: the collision tie-break, so ids do not depend on the machine. */
  relative: string;
  /** A preferred id (manifest `id` column, MER2023 name); the file stem otherwise. */
  id?: string;
}

/**
 * Gives every candidate a safe, unique, deterministic id (README, "Sample ids").
 *
 * In a new run, the id is the safe stem; when several candidates share one, each of them gets a suffix
 * hashed from its relative path (never an overwrite, and the same ids whatever the listing order).
 *
 * In a run that already holds samples (`run`, the build's `--out`), a clip keeps the id the run holds it
 * under, so adding a file never renames the clips already built: its own hashed id when the run has that
 * folder; the plain stem, in a collision, when that sample's recorded clip is this one (also after the
 * input folder moved: {@link sameClip}); the id merr's earlier ASCII-only rule gave it (`toLegacySafeId`),
 * when that sample's clip is this one. Only the clips
 * the run does not hold yet get the rule of a new run. Cost: one listing of `<out>/samples`, plus one
 * sample.json per stem that collides (or whose legacy id differs) and that the run holds.
 */
export function assignIds<T extends Candidate>(candidates: T[], run?: RunSampleIds): Array<T & { id: string }> {
  const stems = candidates.map((c) => (c.id !== undefined ? stripVideoExtension(c.id) : path.basename(c.path, path.extname(c.path))));
  const base = stems.map((s) => toSafeId(s));
  const counts = new Map<string, number>();
  for (const b of base) counts.set(b.toLowerCase(), (counts.get(b.toLowerCase()) ?? 0) + 1);
  const collides = (i: number): boolean => (counts.get((base[i] as string).toLowerCase()) ?? 0) > 1;
  const hashed = (b: string, c: Candidate): string => `${b}_${shortHash(c.relative, 6)}`;

  // First the ids the run already holds for these clips; they win over any new id.
  const held = candidates.map((c, i) => (run ? heldId(c, base[i] as string, toLegacySafeId(c.id ?? stems[i] as string), collides(i), run, hashed) : undefined));
  const taken = new Set(held.filter((id): id is string => id !== undefined).map((id) => id.toLowerCase()));
  const out = candidates.map((c, i) => {
    const b = base[i] as string;
    let id = held[i];
    if (id === undefined) {
      id = collides(i) || taken.has(b.toLowerCase()) ? hashed(b, c) : b;
    }
    return { ...c, id };
  });
  const seen = new Set<string>();
  for (const c of out) {
    // Two different relative paths with the same 6-hex hash are astronomically unlikely; fail loudly if so.
    if (seen.has(c.id.toLowerCase())) throw new Error(`duplicate sample id ${c.id}`);
    seen.add(c.id.toLowerCase());
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The id `run` already holds clip `c` under, if any (see {@link assignIds}). */
function heldId(c: Candidate, base: string, legacy: string, collides: boolean, run: RunSampleIds, hashed: (b: string, c: Candidate) => string): string | undefined {
  // A hashed id is made from the clip's own relative path: a folder of that name is this clip's.
  for (const b of new Set([base, legacy])) {
    if (run.has(hashed(b, c))) return hashed(b, c);
  }
  if (legacy !== base && run.has(legacy) && sameClip(run.pathOf(legacy), c)) return legacy;
  // Without a collision the plain stem is the clip's anyway (a clip moved within the input keeps it too).
  if (collides && run.has(base) && sameClip(run.pathOf(base), c)) return base;
  return undefined;
}

/**
 * True when the clip a run holds (`held`, the path it was built from) is candidate `c`: the same path, or
 * the same path under the source's root when the whole input folder has moved since (`/old/a/x.flv` is
 * `a/x.flv` under `/new`): a moved dataset keeps its ids, and with them its records and reviews.
 */
function sameClip(held: string | undefined, c: Candidate): boolean {
  if (held === undefined) return false;
  if (held === c.path) return true;
  return !path.isAbsolute(c.relative) && !c.relative.startsWith("..") && held.endsWith(`${path.sep}${path.normalize(c.relative)}`);
}
