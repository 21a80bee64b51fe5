/**
 * Input of the benches that read a real MERR annotation file the user has (bench:captions, bench:rules,
 * bench:words, bench:fine): the fine-grained JSON, an object keyed by sample name, as some public copies spell it
 * (`//` comments, line breaks inside strings), or JSON lines of objects with a `name`. No such file is in
 * the repository: the data is not ours to ship.
 */
import { readFileSync } from "node:fs";
import { analyzeAu, type AuAnalysis } from "../src/core/au-analysis.ts";
import type { AuRuleSet } from "../src/core/au-rules.ts";
import { parseOpenFaceCsv } from "../src/core/openface-csv.ts";

/** One entry of the file, with its sample name. */
export type Entry = Record<string, unknown> & { name: string };

/** Drops `//` comments outside strings and turns line breaks inside strings into spaces. */
export function lenientJson(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") {
        out += c + (text[i + 1] ?? "");
        i++;
      } else if (c === "\n" || c === "\r") {
        out += " ";
      } else {
        if (c === '"') inString = false;
        out += c;
      }
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      if (c === '"') inString = true;
      out += c;
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function jsonLine(line: string): Entry | undefined {
  try {
    const o: unknown = JSON.parse(line);
    return isObject(o) && typeof o.name === "string" ? (o as Entry) : undefined;
  } catch {
    return undefined;
  }
}

/** The entries of a MERR annotation file: JSON lines of objects with a string `name`, or the object keyed by name. */
export function readEntries(file: string): Entry[] {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").filter((l) => l.trim());
  if (lines[0] && jsonLine(lines[0])) {
    return lines.map((l, i) => {
      const entry = jsonLine(l);
      if (!entry) throw new Error(`line ${i + 1} is not a JSON object with a "name"`);
      return entry;
    });
  }
  const json: unknown = JSON.parse(lenientJson(text));
  if (!isObject(json)) throw new Error("it is not an object keyed by sample name");
  return Object.entries(json).flatMap(([name, e]) => (isObject(e) ? [{ ...e, name }] : []));
}

/** An entry's label: `label` in JSON lines, `pseu_emotion` in the MERR JSON. */
export function entryLabel(e: Entry): string {
  return typeof e.label === "string" ? e.label : typeof e.pseu_emotion === "string" ? e.pseu_emotion : "";
}

/**
 * The command line's annotation file (argv[2]) as the bench's rows, the first row of each name kept;
 * `toRow` leaves out entries without the fields the bench reads. A missing argument, a file that cannot be
 * read and a file without such entries are each one line naming the bench, the file and the formats it
 * takes (exit 2).
 */
export function benchRows<T extends { name: string }>(bench: string, args: string, fields: string, toRow: (e: Entry) => T | undefined): { file: string; rows: T[] } {
  const file = process.argv[2];
  const formats = `the MERR fine-grained JSON (an object keyed by sample name) or JSON lines of {${fields}}`;
  if (!file) {
    process.stderr.write(`${bench} needs a MERR fine-grained annotation file: npm run ${bench} -- ${args}\n`);
    process.exit(2);
  }
  let rows: T[];
  try {
    rows = readEntries(file).flatMap((e) => toRow(e) ?? []);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    process.stderr.write(`${bench}: cannot read ${file}: ${why}; give ${formats}\n`);
    process.exit(2);
  }
  const seen = new Set<string>();
  const unique = rows.filter((r) => !seen.has(r.name) && seen.add(r.name));
  if (!unique.length) {
    process.stderr.write(`${bench}: ${file} holds no entry with ${fields}; give ${formats}\n`);
    process.exit(2);
  }
  return { file, rows: unique };
}

/** OpenFace 2.x AUs: 17 with an intensity column, AU28 with a presence column only. */
export const INTENSITY_AUS = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"];
const PRESENCE_AUS = [...INTENSITY_AUS.slice(0, -1), "AU28", "AU45"];

/** A one-frame OpenFace 2.x CSV: the peak's AUs at intensity 1 and present, the others 0. */
function peakCsv(peak: readonly string[]): string {
  const on = new Set(peak);
  const header = ["frame", "face_id", "timestamp", "confidence", "success", ...INTENSITY_AUS.map((a) => `${a}_r`), ...PRESENCE_AUS.map((a) => `${a}_c`)];
  const cells = ["1", "0", "0", "0.98", "1", ...INTENSITY_AUS.map((a) => (on.has(a) ? "1" : "0")), ...PRESENCE_AUS.map((a) => (on.has(a) ? "1" : "0"))];
  return `${header.join(",")}\n${cells.join(",")}\n`;
}

/**
 * The rule set's analysis (`analyzeAu`) of a clip's peak AUs given as a one-frame OpenFace table, so the
 * rules see exactly the peak's AU set (bench:rules says what that leaves out).
 */
export function peakAnalysis(name: string, peak: readonly string[], rules: AuRuleSet): AuAnalysis {
  return analyzeAu(parseOpenFaceCsv(peakCsv(peak), { file: name }), rules, { seed: name, peakMethod: "paper" });
}
