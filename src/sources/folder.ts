import { readdir } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import type { Sample } from "../core/types.ts";
import { assignIds } from "./assign-ids.ts";

export const VIDEO_EXTENSIONS = [".mp4", ".avi", ".mkv", ".flv", ".webm", ".mov", ".m4v"] as const;

/** Every video file under `root` (recursive, symlinked folders not followed), sorted by relative path. */
export async function listVideos(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (dir === root && (code === "ENOENT" || code === "ENOTDIR")) {
        throw new MerrError("E_USAGE", `--input ${root}: no such folder; give the folder that holds the clips`);
      }
      throw error;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if ((e.isFile() || e.isSymbolicLink()) && (VIDEO_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase())) out.push(full);
    }
  };
  await walk(root);
  return out.sort();
}

export async function folderSource(root: string, source = "folder"): Promise<Sample[]> {
  const abs = path.resolve(root);
  const files = await listVideos(abs);
  return assignIds(files.map((f) => ({ path: f, relative: path.relative(abs, f) }))).map((c) => ({ id: c.id, path: c.path, source }));
}
