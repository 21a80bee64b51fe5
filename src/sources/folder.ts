import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { assignIds } from "./assign-ids.ts";
import { readSidecarSubtitles } from "./subtitle-files.ts";
import { isVideoName } from "./video-files.ts";

/**
 * A folder merr wrote, known by the files it writes there: a run folder (`merr build --out`: run.json
 * beside samples/ or samples.json) or an export folder (`merr export --out`: export-report.json). Their
 * videos are merr's copies (export videos/, the viewer's cache/view/), never clips to ingest. Pure.
 */
export function merrFolderKind(names: ReadonlySet<string>): "run" | "export" | undefined {
  if (names.has("run.json") && (names.has("samples") || names.has("samples.json"))) return "run";
  if (names.has("export-report.json")) return "export";
  return undefined;
}

/**
 * Every video file under `root` (recursive, symlinked folders not followed), sorted by relative path.
 * Below `root` it skips hidden entries (names starting with ".": macOS `._*` metadata files, merr's temp
 * files, `.git`) and the run and export folders merr wrote (an `--out` or `--export` inside `--input`),
 * and says once in `notes` what it skipped and why.
 */
export async function listVideos(root: string, notes?: string[]): Promise<string[]> {
  const out: string[] = [];
  const hidden: string[] = [];
  const merr: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (dir === root && (code === "ENOENT" || code === "ENOTDIR")) {
        const what = code === "ENOTDIR" && existsSync(root) ? "is a file, not a folder" : "no such folder";
        throw new MerrError("E_USAGE", `--input ${root}: ${what}; give the folder that holds the clips (one clip: --source manifest with a CSV that lists it, or --ids)`);
      }
      throw error;
    }
    if (dir !== root) {
      const kind = merrFolderKind(new Set(entries.map((e) => e.name)));
      if (kind) {
        merr.push(`${path.relative(root, dir)} (${kind === "run" ? "a merr run folder: run.json, samples/" : "a merr export folder: export-report.json"})`);
        return;
      }
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const video = (e.isFile() || e.isSymbolicLink()) && isVideoName(e.name);
      if (e.name.startsWith(".")) {
        if (e.isDirectory() || video) hidden.push(path.relative(root, full));
      } else if (e.isDirectory()) {
        await walk(full);
      } else if (video) {
        out.push(full);
      }
    }
  };
  await walk(root);
  const skipped: string[] = [];
  if (merr.length) skipped.push(`${merr.length} folder${merr.length === 1 ? "" : "s"} merr wrote, whose videos are merr's copies: ${examples(merr.sort())}`);
  if (hidden.length) {
    skipped.push(`${hidden.length} hidden ${hidden.length === 1 ? "entry" : "entries"} (names starting with "."; a macOS ._ file is metadata, not video): ${examples(hidden.sort())}`);
  }
  if (skipped.length) notes?.push(`--input ${root}: skipped ${skipped.join("; and ")}`);
  return out.sort();
}

const examples = (items: string[]): string => `${items.slice(0, 3).join(", ")}${items.length > 3 ? `, and ${items.length - 3} more` : ""}`;

/**
 * The clips of a folder (`listVideos`); ids per `assignIds`, kept as `run` holds them. A clip with a
 * subtitle file beside it (`clip.srt`, `clip.en.srt`: sources/subtitle-files.ts) takes its subtitle from
 * there; `language` is what the clips speak (`--language`).
 */
export async function folderSource(root: string, o: { source?: string; notes?: string[]; run?: RunSampleIds; language?: string } = {}): Promise<Sample[]> {
  const abs = path.resolve(root);
  const files = await listVideos(abs, o.notes);
  const source = o.source ?? "folder";
  const subtitles = await readSidecarSubtitles(files, o.language ?? "en", root, o.notes);
  return assignIds(files.map((f) => ({ path: f, relative: path.relative(abs, f) })), o.run).map((c) => ({ id: c.id, path: c.path, source, ...subtitles.get(c.path) }));
}
