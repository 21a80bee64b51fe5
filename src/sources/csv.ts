import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { MerrError } from "../core/errors.ts";

/** Reads a CSV with a header row into records; errors name the file and the line. */
export async function readCsv(file: string, what: string): Promise<Array<Record<string, string>>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder, not a CSV file" : (error as Error).message;
    throw new MerrError("E_USAGE", `${what} ${file}: ${why}`);
  }
  let header: string[] = [];
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text.replace(/^\uFEFF/, ""), { columns: (h: string[]) => (header = h.map((c) => c.trim())), skip_empty_lines: true, trim: true, relax_column_count: true }) as Array<Record<string, string>>;
  } catch (error) {
    throw new MerrError("E_DATA_INVALID", `${file}: ${(error as Error).message}`);
  }
  // The callers read the header from the first row: without one, they would report a missing header.
  if (rows.length === 0 && header.some(Boolean)) {
    throw new MerrError("E_DATA_INVALID", `${file} has a header but no rows (columns: ${header.filter(Boolean).join(", ")}); add one row per clip`);
  }
  return rows;
}

/** Finds a column by any of its accepted names (case-insensitive). */
export function findColumn(header: string[], names: string[]): string | undefined {
  const lower = header.map((h) => h.toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n.toLowerCase());
    if (i >= 0) return header[i];
  }
  return undefined;
}

/**
 * The column of `header` that holds `what`, by the first accepted name present (case-insensitive), or an
 * E_DATA_INVALID naming the file, the columns found and every name accepted.
 */
export function requireColumn(file: string, header: string[], what: string, names: string[]): string {
  const found = findColumn(header, names);
  if (found) return found;
  throw new MerrError(
    "E_DATA_INVALID",
    `${file}: no ${what} column; found ${header.length ? header.map((h) => `"${h}"`).join(", ") : "no header"}, accepted: ${names.join(", ")} (first match wins, case-insensitive)`,
  );
}
