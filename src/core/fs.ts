import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** Writes a file atomically: a temp file in the same folder, then rename (readers never see half a file). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
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
