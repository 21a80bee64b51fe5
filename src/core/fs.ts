import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

const madeDirs = new Set<string>();

/** mkdir -p, remembered per process (a run writes thousands of records into a few folders each). */
export async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  if (madeDirs.size > 100_000) madeDirs.clear();
  madeDirs.add(dir);
}

/** Writes a file atomically: a temp file in the same folder, then rename (readers never see half a file). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await ensureDir(path.dirname(file));
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    if ((error as NodeJS.ErrnoException).code === "ENOENT") madeDirs.delete(path.dirname(file));
    throw error;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A temp path next to `file` for tools that write their own output (ffmpeg): write there, then
 * {@link commitTemp}. The name keeps the extension so tools pick the right muxer.
 */
export function tempPathFor(file: string): string {
  const ext = path.extname(file);
  const base = path.basename(file, ext);
  return path.join(path.dirname(file), `.${base}.${process.pid}.${randomBytes(4).toString("hex")}.tmp${ext}`);
}

/**
 * True for a committed `.json` file: not a temp file of {@link tempPathFor} (dot-named, and also ending in
 * `.json`), which a process killed between writing and renaming leaves behind, complete or half written.
 */
export const isCommittedJson = (name: string): boolean => name.endsWith(".json") && !name.startsWith(".");

/** A name {@link tempPathFor} makes: `.<base>.<pid>.<8 hex>.tmp[.<ext>]`. */
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp(\.[^.]+)?$/;

/**
 * Removes the temp files and folders of {@link tempPathFor} in `dirs` that are older than `minAgeMs`:
 * what a process killed between writing and renaming left behind. Call it where nothing is writing into
 * those folders any more (a sample's finalize: every stage has its record); the age guards a writer
 * that is merely slow. Returns how many were removed; a folder that does not exist is skipped.
 */
export async function removeStaleTemps(dirs: readonly string[], minAgeMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => TEMP_NAME.test(n))) {
      const file = path.join(dir, name);
      const age = await stat(file).then((s) => now - s.mtimeMs, () => -1);
      if (age < minAgeMs) continue;
      await rm(file, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

export async function commitTemp(tmp: string, file: string): Promise<void> {
  await rename(tmp, file);
}

/** Reads and parses a JSON file; `undefined` when it does not exist. */
export async function readJsonIfExists<T = unknown>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Reads and parses a small JSON file synchronously; `undefined` when it does not exist. A record is a few
 * hundred bytes in the page cache: one synchronous read costs microseconds, while the promise API's
 * open/stat/read/close round trips through the thread pool cost more (see bench/runtime.ts).
 */
export function readJsonIfExistsSync<T = unknown>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/**
 * A cheap identity of a file's current content (modification time and size; "missing" when it cannot be
 * stat'ed): a key under which a long-running process may keep what it parsed from the file, so an edited
 * data file is read again instead of served from memory.
 */
export function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return "missing";
  }
}
