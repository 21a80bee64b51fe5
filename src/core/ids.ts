import { createHash } from "node:crypto";

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can be used as a file name, a job id part and a MERR list name (no spaces, no ':'). */
export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !/^\d+$/.test(id) && !id.includes("..");
}

/**
 * Turns a file stem into a safe id: accents folded to ASCII, anything else outside [A-Za-z0-9._-] becomes
 * '_', runs of '_' collapse. Ids that would look like integers (BullMQ rejects them as custom ids) get a
 * `s` prefix; an empty result becomes `sample`.
 */
export function toSafeId(stem: string): string {
  let id = stem
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[._-]+/, "")
    .replace(/[._-]+$/, "");
  if (id.length > 100) id = `${id.slice(0, 90)}_${shortHash(stem)}`;
  if (id === "") id = "sample";
  if (/^\d+$/.test(id)) id = `s${id}`;
  return id;
}

export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** A stable hash of a JSON-able value (object keys sorted). */
export function hashJson(value: unknown, length = 16): string {
  return shortHash(stableStringify(value), length);
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}
