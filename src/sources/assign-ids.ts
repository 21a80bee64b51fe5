import path from "node:path";
import { shortHash, toSafeId } from "../core/ids.ts";
import { stripVideoExtension } from "./video-files.ts";

export interface Candidate {
  /** Absolute path of the clip. */
  path: string;
  /** Path relative to the source root: the collision tie-break, so ids do not depend on the machine. */
  relative: string;
  /** A preferred id (manifest `id` column, MER2023 name; a video extension is dropped); the file stem otherwise. */
  id?: string;
}

/**
 * Gives every candidate a safe, unique, deterministic id. Ids are safe stems; when several candidates
 * share one, each of them gets a suffix hashed from its relative path (never an overwrite, and the same
 * ids on every run whatever the listing order).
 */
export function assignIds<T extends Candidate>(candidates: T[]): Array<T & { id: string }> {
  const base = candidates.map((c) => toSafeId(c.id !== undefined ? stripVideoExtension(c.id) : path.basename(c.path, path.extname(c.path))));
  const counts = new Map<string, number>();
  for (const b of base) counts.set(b.toLowerCase(), (counts.get(b.toLowerCase()) ?? 0) + 1);
  const out = candidates.map((c, i) => {
    const b = base[i] as string;
    const id = (counts.get(b.toLowerCase()) ?? 0) > 1 ? `${b}_${shortHash(c.relative, 6)}` : b;
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
