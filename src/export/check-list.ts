import { isIdName } from "../core/ids.ts";
import { isMerrLabel, MERR_LABELS } from "../core/labels.ts";
import type { Violation } from "./check.ts";

export interface ListLine {
  name: string;
  line: number;
}

/**
 * Checks a MERR list file the way the loader reads it (`line.split(" ")`, columns 0 and 2) and pushes
 * every violation; returns the names it could read. Pure.
 */
export function checkListFile(file: string, text: string, fine: boolean, violations: Violation[]): ListLine[] {
  const expected = fine ? 4 : 3;
  const layout = fine ? "name frame_count label valence" : "name frame_count label";
  const out: ListLine[] = [];
  const seen = new Map<string, number>();
  const rows = text.split("\n");
  if (rows[rows.length - 1] === "") rows.pop();
  rows.forEach((raw, i) => {
    const line = i + 1;
    const at = { file, line };
    if (raw.endsWith("\r")) {
      violations.push({ ...at, kind: "list-format", message: "line ends with CR (Windows line ending): the label becomes \"happy\\r\"", fix: "write LF line endings" });
    }
    const row = raw.replace(/\r$/, "");
    if (row.trim() === "") {
      violations.push({ ...at, kind: "list-format", message: "empty line", fix: "remove empty lines" });
      return;
    }
    if (/\t/.test(row) || / {2,}/.test(row) || row !== row.trim()) {
      violations.push({ ...at, kind: "list-format", message: "columns must be separated by single spaces (tab, double or edge space found)", fix: `write "${layout}" joined by one space` });
    }
    const cols = row.trim().split(/\s+/);
    const name = cols[0]!;
    if (cols.length !== expected) {
      violations.push({ ...at, name, kind: "list-columns", message: `${cols.length} columns, expected ${expected} (${layout})`, fix: fine ? "add the valence column (-10 when unknown)" : `write "${layout}"; a name must not contain spaces` });
      if (cols.length < 3) return;
    }
    if (!isIdName(name) || /\.(mp4|avi|flv|mkv|mov|webm|wav)$/i.test(name)) {
      violations.push({ ...at, name, kind: "bad-name", message: `name "${name}" must be a bare id (letters, digits, . _ -; no extension)`, fix: "rename the sample (merr ids are file-name safe) and its video/feature files" });
    }
    if (!/^\d+$/.test(cols[1]!)) {
      violations.push({ ...at, name, kind: "list-format", message: `frame_count "${cols[1]}" is not a non-negative integer`, fix: "write the number of face frames (0 when unknown)" });
    }
    // The loader reads column 2 of split(" "): check exactly that column so a double space is caught here too.
    const loaderLabel = row.split(" ")[2] ?? "";
    if (!isMerrLabel(loaderLabel)) {
      violations.push({ ...at, name, kind: "label", message: `label "${loaderLabel}" is not one of ${MERR_LABELS.join(", ")} (KeyError in the trainer)`, fix: "map or drop it: merr export --map-label disgust=drop" });
    }
    if (fine && cols[3] !== undefined && !Number.isFinite(Number(cols[3]))) {
      violations.push({ ...at, name, kind: "list-format", message: `valence "${cols[3]}" is not a number`, fix: "write the valence, or -10 when unknown" });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      violations.push({ ...at, name, kind: "duplicate-name", message: `${name} is listed again (first on line ${first})`, fix: "list each sample once" });
      return;
    }
    seen.set(name, line);
    out.push({ name, line });
  });
  return out;
}
