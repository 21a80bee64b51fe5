import { statSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import { SOURCE_NAMES } from "../sources/names.ts";

/** `--set stage.option=value` (repeatable) -> { stage: { option: value } }. Values are JSON when they parse. */
export function parseStageSets(sets: string[] = []): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of sets) {
    const m = /^([a-z][a-z0-9-]*)\.([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(s);
    if (!m) throw new MerrError("E_USAGE", `--set "${s}": expected stage.option=value, e.g. --set sample-frames.fps=4`);
    const [, stage, key, raw] = m as unknown as [string, string, string, string];
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: keep the text as a string value (e.g. --set au-extract.extractor=openface).
    }
    (out[stage] ??= {})[key] = value;
  }
  return out;
}

/** E_USAGE for a stage name that is not one of `stages` (when given): a flag for it would do nothing. */
function checkStageName(flag: string, item: string, stage: string, stages: readonly string[] | undefined): void {
  if (stages && !stages.includes(stage)) throw new MerrError("E_USAGE", `${flag} "${item}": no stage "${stage}" (stages: ${stages.join(", ")})`);
}

/** `--concurrency stage=n` (repeatable) -> { stage: n }; with `stages`, any other stage name is E_USAGE. */
export function parseConcurrency(items: string[] = [], stages?: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of items) {
    const m = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(s);
    if (!m || Number(m[2]) < 1) throw new MerrError("E_USAGE", `--concurrency "${s}": expected stage=n with n >= 1, e.g. --concurrency au-extract=2`);
    checkStageName("--concurrency", s, m[1] as string, stages);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/**
 * `--source`: a source name in any case (`MER2023-SEMI`, as the paper writes it). A path given where a
 * source name belongs gets an E_USAGE naming the flags it needs (`--source folder --input <path>`).
 */
export function parseSourceOption(value: string): string {
  const name = value.trim().toLowerCase();
  if ((SOURCE_NAMES as readonly string[]).includes(name)) return name;
  const allowed = `${SOURCE_NAMES.join(", ")}`;
  let kind: "folder" | "file" | undefined;
  try {
    kind = statSync(value).isDirectory() ? "folder" : "file";
  } catch {
    kind = undefined;
  }
  if (kind === "folder") {
    throw new MerrError("E_USAGE", `--source "${value}" is a folder: --source says what kind of source it is (${allowed}); for the clips in it, use --source folder --input ${JSON.stringify(value)}`);
  }
  if (kind === "file") {
    const fix = /\.csv$/i.test(value)
      ? `for a CSV that lists clips, use --source manifest --input ${JSON.stringify(value)} (a MER2023 transcription CSV goes with the video folder: --source mer2023-semi --input <video folder> --transcripts ${JSON.stringify(value)})`
      : `for the clips in its folder, use --source folder --input ${JSON.stringify(path.dirname(value))}`;
    throw new MerrError("E_USAGE", `--source "${value}" is a file: --source says what kind of source it is (${allowed}); ${fix}`);
  }
  throw new MerrError("E_USAGE", `--source "${value}" is not a source: use one of ${allowed}`);
}

export function parseIntOption(name: string, value: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new MerrError("E_USAGE", `${name} "${value}" must be a whole number >= ${min}`);
  return n;
}

/**
 * E_USAGE when a folder flag (`--out`, `--export`) names a file, or a path through a file: merr would
 * otherwise fail deep inside with EEXIST or ENOTDIR, as a bug. A missing folder is fine (it is created).
 */
export async function checkFolderFlag(flag: string, dir: string, fix = "give a folder (merr creates it when it is missing)"): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new MerrError("E_USAGE", `${flag} ${dir}: part of this path is a file, not a folder; ${fix}`);
    // Missing (created later), or unreadable: the command reports that itself.
    return;
  }
  if (!isFolder) throw new MerrError("E_USAGE", `${flag} ${dir} is a file, not a folder; ${fix}`);
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `--rate-limit stage=max/seconds` (repeatable) -> { stage: { max, durationMs } }: at most max jobs per
 * window, across all workers. With `stages`, any other stage name is E_USAGE.
 */
export function parseRateLimits(items: string[] = [], stages?: readonly string[]): Record<string, { max: number; durationMs: number }> {
  const out: Record<string, { max: number; durationMs: number }> = {};
  for (const s of items) {
    const m = /^([a-z][a-z0-9-]*)=(\d+)\/(\d+(?:\.\d+)?)s?$/.exec(s);
    if (!m || Number(m[2]) < 1 || Number(m[3]) <= 0) {
      throw new MerrError("E_USAGE", `--rate-limit "${s}": expected stage=max/seconds, e.g. --rate-limit fine=60/60s`);
    }
    checkStageName("--rate-limit", s, m[1] as string, stages);
    out[m[1] as string] = { max: Number(m[2]), durationMs: Math.round(Number(m[3]) * 1000) };
  }
  return out;
}
