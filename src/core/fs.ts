import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
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
