import { access, copyFile, lstat, mkdir, readlink, rm, stat, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import { transcodeToMp4 } from "../adapters/tools/ffmpeg.ts";
import { coerceError } from "../core/errors.ts";
import { commitTemp, tempPathFor } from "../core/fs.ts";

/**
 * How `<videos>/<name>.mp4` is made: `auto` symlinks an .mp4 source and transcodes anything else,
 * `symlink`/`copy` keep the bytes (an .flv behind an .mp4 name opens in OpenCV, which sniffs the container,
 * but not in every reader), `transcode` always re-encodes (H.264 + AAC), `none` writes no videos.
 * @defaultValue `"auto"`
 */
export type VideoMode = "auto" | "symlink" | "copy" | "transcode" | "none";
export const VIDEO_MODES: readonly VideoMode[] = ["auto", "symlink", "copy", "transcode", "none"];

export type VideoResult = { ok: true; action: "symlink" | "copy" | "transcode" | "unchanged" } | { ok: false; reason: string; message: string };

const exists = (file: string): Promise<boolean> =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Makes `target` from `source` per `mode`, idempotently: an up-to-date symlink, or a copy/transcode newer
 * than its source, is left alone. Never throws for a per-sample problem: returns the reason instead.
 */
export async function exportVideo(source: string | undefined, target: string, mode: Exclude<VideoMode, "none">, signal?: AbortSignal): Promise<VideoResult> {
  if (!source) return { ok: false, reason: "video-missing", message: "the sample record names no clip" };
  if (!(await exists(source))) return { ok: false, reason: "video-missing", message: `clip not found: ${source}` };
  const isMp4 = path.extname(source).toLowerCase() === ".mp4";
  const action = mode === "auto" ? (isMp4 ? "symlink" : "transcode") : mode;
  await mkdir(path.dirname(target), { recursive: true });
  try {
    if (await upToDate(source, target, action)) return { ok: true, action: "unchanged" };
    const tmp = tempPathFor(target);
    try {
      if (action === "symlink") await symlink(path.resolve(source), tmp);
      else if (action === "copy") await copyFile(source, tmp);
      else await transcodeToMp4(source, tmp, { signal });
      // A copy or transcode carries its source's modification time: upToDate tells it from one made of another file.
      if (action !== "symlink") await utimes(tmp, new Date(), (await stat(source)).mtime);
      await commitTemp(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return { ok: true, action };
  } catch (error) {
    const e = coerceError(error);
    if (e.code === "E_ABORTED" || e.code === "E_TOOL_MISSING") throw e;
    return { ok: false, reason: "video-failed", message: e.message };
  }
}

/**
 * True when `target` was made from `source` as it is now: a symlink to it, or a copy or transcode with its
 * modification time (and, for a copy, its size). Not merely newer than the source: a re-export of another run
 * whose sample has the same name, with an older file, must not keep the previous run's file.
 */
async function upToDate(source: string, target: string, action: "symlink" | "copy" | "transcode"): Promise<boolean> {
  const info = await lstat(target).catch(() => undefined);
  if (!info) return false;
  if (action === "symlink") return info.isSymbolicLink() && (await readlink(target)) === path.resolve(source);
  if (info.isSymbolicLink() || info.size === 0) return false;
  const src = await stat(source);
  // Within a millisecond: utimes may round the sub-millisecond part of the source's time.
  return Math.abs(info.mtimeMs - src.mtimeMs) < 1 && (action !== "copy" || info.size === src.size);
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
