import { createHash } from "node:crypto";

/**
 * The characters of an id: Unicode letters, combining marks and digits, plus `.`, `_` and `-`. No separator
 * (`/`, `\`), no space, no control or format character, none of Windows' reserved `<>:"|?*`.
 */
const ID_CHARS = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}._-]*$/u;

/** Names Windows reserves for devices, with any extension (`con.mp4` too), in any case. */
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])$/i;

/** Longest id in UTF-8 bytes (file systems count bytes: 255 on ext4 and APFS, for `<id>.<ext>` and temp names). */
const MAX_ID_BYTES = 100;

/**
 * True when `name` is a bare file name of id characters (letters, digits, `.`, `_`, `-`; Unicode letters
 * included) that starts with a letter or a digit: no path, no space. The rule a MERR list name and a
 * viewer URL id are checked against.
 */
export function isIdName(name: string): boolean {
  return ID_CHARS.test(name) && !name.includes("..");
}

/**
 * True when `id` is what {@link toSafeId} makes: id characters in NFC, at most 100 UTF-8 bytes, not all
 * digits (BullMQ rejects integer custom ids), and no name Windows reserves.
 */
export function isSafeId(id: string): boolean {
  return (
    isIdName(id) && id === id.normalize("NFC") && Buffer.byteLength(id) <= MAX_ID_BYTES && !/^\d+$/.test(id) &&
    !WINDOWS_RESERVED.test(id.split(".")[0] as string)
  );
}

/**
 * Turns a file stem into a safe, stable id (README, "Sample ids"):
 * - NFKC: one spelling per name (a macOS NFD name, full-width letters and ligatures give the same id);
 *   accents on Latin letters are folded to ASCII (`été` -> `ete`), other scripts keep their letters and
 *   marks (`名前`, `Søren`, `й`);
 * - anything but letters, marks, digits, `.`, `_` and `-` becomes `_` (separators, spaces, punctuation,
 *   control and format characters, emoji); runs of `_` collapse, `..` becomes `.`, and the id starts with
 *   a letter or digit and does not end with `.`, `_` or `-` (but see Windows below);
 * - over 100 UTF-8 bytes: the first 90 bytes (whole characters) plus `_<hash of the stem>`;
 * - all ASCII digits (BullMQ rejects integer custom ids): an `s` prefix; a Windows device name (`con`,
 *   `nul`, `com1`, before the first `.`): a `_` after it; nothing left: `sample`.
 * A stem that folds to ASCII gets the id it got before Unicode letters were kept.
 */
export function toSafeId(stem: string): string {
  let id = stem
    .normalize("NFKD")
    .replace(/(?<=\p{ASCII})[\u0300-\u036f]+/gu, "")
    .normalize("NFC")
    .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, "_")
    .replace(/_+/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[^\p{L}\p{N}]+/u, "")
    .replace(/[._-]+$/, "");
  if (Buffer.byteLength(id) > MAX_ID_BYTES) id = `${cutToBytes(id, MAX_ID_BYTES - 10)}_${shortHash(stem)}`;
  if (id === "") id = "sample";
  if (/^\d+$/.test(id)) id = `s${id}`;
  const dot = id.indexOf(".");
  const head = dot < 0 ? id : id.slice(0, dot);
  if (WINDOWS_RESERVED.test(head)) id = `${head}_${id.slice(head.length)}`;
  return id;
}

/**
 * The id merr's earlier ASCII-only rule gave a stem (anything outside `[A-Za-z0-9._-]` became `_`): a run
 * built then holds its samples under these ids, and a clip keeps the id its run already holds.
 */
export function toLegacySafeId(stem: string): string {
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

/** The longest prefix of `text` of whole code points within `bytes` UTF-8 bytes. */
function cutToBytes(text: string, bytes: number): string {
  let out = "";
  let used = 0;
  for (const ch of text) {
    used += Buffer.byteLength(ch);
    if (used > bytes) break;
    out += ch;
  }
  return out;
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
