import { lstat, readdir, readFile, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { writeJsonAtomic } from "../core/fs.ts";
import { EXPORT_LAYOUT } from "./layout.ts";
import type { MissingMedia } from "./media.ts";

/**
 * An export folder holds exactly what the latest export wrote. Its `export-report.json` lists every file the
 * export wrote (`written`: data files, videos, audios, features); the next export into the folder removes
 * those it does not write again, and nothing else: a file merr did not write (features produced elsewhere,
 * your notes) is never removed, only listed (`untracked`). A non-empty folder without a report is not
 * merr's, and is refused.
 */

/** What an export folder's `export-report.json` says of the files merr wrote there. */
export interface ExportLedger {
  /** The data files of the export's formats (the report's `files`). */
  files: string[];
  /** Every file the export wrote. Absent in reports of merr before it recorded them: then only `files` is known. */
  written?: string[];
  /** `false` while an export is writing, or when it was stopped before it finished. */
  complete?: boolean;
  /** Samples the export wrote without a video or WAV the run names for them. */
  missingMedia?: MissingMedia[];
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/**
 * Reads `<dir>/export-report.json`: the ledger, `undefined` when there is none, or `{ problem }` when the file
 * is there but is not an export report.
 */
export async function readExportLedger(dir: string): Promise<ExportLedger | undefined | { problem: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, EXPORT_LAYOUT.report), "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (error instanceof SyntaxError || code === "EISDIR") return { problem: `${EXPORT_LAYOUT.report} cannot be read (${(error as Error).message})` };
    throw error;
  }
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== "object" || r === null || !isStringList(r.files) || (r.written !== undefined && !isStringList(r.written))) {
    return { problem: `${EXPORT_LAYOUT.report} is not a merr export report (no list of files)` };
  }
  return {
    files: r.files,
    ...(r.written !== undefined ? { written: r.written as string[] } : {}),
    ...(typeof r.complete === "boolean" ? { complete: r.complete } : {}),
    ...(Array.isArray(r.missingMedia) ? { missingMedia: (r.missingMedia as unknown[]).filter(isMissingMedia) } : {}),
  };
}

const isMissingMedia = (v: unknown): v is MissingMedia => {
  const m = v as Record<string, unknown> | null;
  return typeof m === "object" && m !== null && typeof m.name === "string" && typeof m.media === "string" && typeof m.message === "string" &&
    typeof m.fix === "string" && isStringList(m.in);
};

/**
 * A path a ledger may name: relative, normalised, inside the folder (no `..`), POSIX separators, and not the
 * report itself. A ledger is a file anyone can edit: a path outside this shape is never removed.
 */
export function isSafeRelative(file: string): boolean {
  return (
    file !== "" && !path.isAbsolute(file) && !file.includes("\\") && !file.includes("\0") && path.posix.normalize(file) === file &&
    !file.split("/").some((part) => part === ".." || part === "." || part === "") && file !== EXPORT_LAYOUT.report
  );
}

/**
 * Every file under `dir` as a relative POSIX path. A symbolic link is a file (a symlinked video is listed, its
 * target is not looked at) and a symlinked folder is not entered.
 */
export async function listFiles(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
      throw error;
    });
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else out.add(child);
    }
  };
  await walk("");
  return out;
}

export interface ExportFolder {
  dir: string;
  /** Files the previous export wrote (safe paths only); empty for a new folder. */
  previous: ReadonlySet<string>;
  /** Every file in the folder before this export. */
  existing: ReadonlySet<string>;
}

/**
 * Opens `dir` for an export: a folder that does not exist or is empty (hidden files aside) is new; one with
 * an export report is merr's (its previous export's files are known); any other non-empty folder is refused
 * with E_USAGE, so an export never mixes its files with files it does not know, nor later removes them.
 */
export async function openExportFolder(dir: string): Promise<ExportFolder> {
  const fresh: ExportFolder = { dir, previous: new Set(), existing: new Set() };
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!info) return fresh;
  if (!info.isDirectory()) throw new MerrError("E_USAGE", `export folder ${dir} is a file; export into a new or empty folder, or an earlier merr export folder`);
  // Hidden entries (.git, .gitkeep, .DS_Store) hold no data a trainer reads: such a folder counts as empty.
  if ((await readdir(dir)).every((name) => name.startsWith("."))) return fresh;
  const ledger = await readExportLedger(dir);
  if (ledger === undefined || "problem" in ledger) {
    const why = ledger === undefined ? `it has no ${EXPORT_LAYOUT.report}` : ledger.problem;
    throw new MerrError(
      "E_USAGE",
      `export folder ${dir} is not empty and is not a merr export folder (${why}): an export replaces what the previous export wrote in its folder, and would mix its files with the ones here; ` +
        `export into a new or empty folder (for example ${dir.replace(/[\\/]+$/, "")}-export), or empty this one first`,
    );
  }
  // A report of merr before it recorded every file lists only its data files: its media and features stay untracked.
  const previous = new Set((ledger.written ?? ledger.files).filter(isSafeRelative));
  return { dir, previous, existing: await listFiles(dir) };
}

/**
 * Before anything is written: marks the folder as merr's with an unfinished report that lists what the previous
 * export wrote plus what this one may write (`planned`, less the files already there that no export recorded:
 * those stay someone else's). An export stopped half-way thus leaves a folder the next export can clean up.
 */
export async function claimExportFolder(folder: ExportFolder, planned: Iterable<string>, header: Record<string, unknown>): Promise<void> {
  const written = new Set(folder.previous);
  for (const file of planned) if (!folder.existing.has(file) || folder.previous.has(file)) written.add(file);
  await writeJsonAtomic(path.join(folder.dir, EXPORT_LAYOUT.report), {
    ...header,
    complete: false,
    note: "an export into this folder is writing, or was stopped before it finished; run it again",
    files: [],
    written: [...written].sort(),
  });
}

export interface StaleCleanup {
  removed: string[];
  /** Files of the previous export left in place, and why. */
  notRemoved: Array<{ file: string; reason: string }>;
}

/**
 * Removes the files the previous export wrote that this one did not (`written`), then the folders that left
 * empty. Only paths inside the folder: a file whose folder on the way is a symbolic link is left (it is not
 * inside the export), a symlinked video loses the link and never its target, and a path that is a folder
 * now is left alone.
 */
export async function removeStaleFiles(folder: ExportFolder, written: ReadonlySet<string>): Promise<StaleCleanup> {
  const out: StaleCleanup = { removed: [], notRemoved: [] };
  const emptied = new Set<string>();
  for (const file of [...folder.previous].filter((f) => !written.has(f)).sort()) {
    const parts = file.split("/");
    let blocked: string | undefined;
    let gone = false;
    for (let i = 1; i < parts.length && !blocked && !gone; i++) {
      const dir = parts.slice(0, i).join("/");
      const info = await lstat(path.join(folder.dir, dir)).catch(() => undefined);
      if (!info) gone = true;
      else if (!info.isDirectory()) blocked = `${dir} is ${info.isSymbolicLink() ? "a symbolic link" : "not a folder"}: merr removes nothing outside the export folder`;
    }
    if (gone) continue;
    const info = blocked ? undefined : await lstat(path.join(folder.dir, file)).catch(() => undefined);
    if (!blocked && !info) continue; // already gone
    if (info?.isDirectory()) blocked = "it is a folder now";
    if (blocked) {
      out.notRemoved.push({ file, reason: blocked });
      continue;
    }
    await unlink(path.join(folder.dir, file));
    out.removed.push(file);
    if (parts.length > 1) emptied.add(parts.slice(0, -1).join("/"));
  }
  // Deepest first; rmdir fails on a folder that still holds anything, which is then kept.
  for (const dir of [...emptied].sort((a, b) => b.split("/").length - a.split("/").length)) {
    const parts = dir.split("/");
    for (let i = parts.length; i > 0; i--) {
      const removed = await rmdir(path.join(folder.dir, parts.slice(0, i).join("/"))).then(() => true, () => false);
      if (!removed) break;
    }
  }
  return out;
}
