import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { commitTemp, tempPathFor } from "../core/fs.ts";
import type { MerrLabel } from "../core/labels.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import type { MediaPaths } from "./media.ts";
import type { Selection } from "./select.ts";

/** One line of `merr.jsonl`: a kept sample with every stage output, status and provenance. */
export interface JsonlRecord {
  name: string;
  status: MerrEntry["status"];
  reasons: MerrEntry["reasons"];
  /** Parts the sample went on without (no audio track, no speech). */
  notes: NonNullable<MerrEntry["notes"]>;
  /** The sample as the source gave it, but `path` is the exported video (relative to the export folder, or null). */
  sample: (Omit<NonNullable<MerrEntry["sample"]>, "path"> & { path: string | null }) | null;
  /** The exported video and 16 kHz WAV, relative to the export folder; null when not exported. */
  video: string | null;
  audio: string | null;
  /** The MERR label in each set, or null when the sample is not in it. */
  coarse_label: MerrLabel | null;
  fine_label: MerrLabel | null;
  pseu_emotion: string | null;
  final_label: string | null;
  stages: MerrEntry["stages"];
  /** The stage outputs; file paths inside the run folder are relative to it (the run is not part of the export). */
  outputs: MerrEntry["outputs"];
  provenance: MerrEntry["provenance"];
}

/** What the JSONL needs besides the selection: the run folder (for relative output paths) and the exported media. */
export interface JsonlOptions {
  runDir: string;
  media: (name: string) => MediaPaths;
}

/** `value` with every string that is an absolute path inside `dir` made relative to it. */
function relativeTo(value: unknown, dir: string): unknown {
  if (typeof value === "string") return value.startsWith(`${dir}${path.sep}`) ? path.relative(dir, value).split(path.sep).join("/") : value;
  if (Array.isArray(value)) return value.map((v) => relativeTo(v, dir));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relativeTo(v, dir)]));
  return value;
}

/** The records of a selection, lazily (30k records are never all in memory as JSON). */
export function* jsonlRecords(sel: Selection, options: JsonlOptions): Generator<JsonlRecord> {
  const coarse = new Map(sel.coarse.map((s) => [s.entry.name, s.label]));
  const fine = new Map(sel.fine.map((s) => [s.entry.name, s.label]));
  for (const e of sel.kept) {
    const media = options.media(e.name);
    yield {
      name: e.name,
      status: e.status,
      reasons: e.reasons,
      notes: e.notes ?? [],
      sample: e.sample ? { ...e.sample, path: media.video ?? null } : null,
      video: media.video ?? null,
      audio: media.audio ?? null,
      coarse_label: coarse.get(e.name) ?? null,
      fine_label: fine.get(e.name) ?? null,
      pseu_emotion: e.pseuEmotion ?? null,
      final_label: e.finalLabel ?? null,
      stages: e.stages,
      outputs: relativeTo(e.outputs, options.runDir) as MerrEntry["outputs"],
      provenance: e.provenance,
    };
  }
}

/** Streams lines to a temp file and renames it into place (readers never see half a file). */
export async function writeLinesAtomic(file: string, lines: Iterable<string>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  const out = createWriteStream(tmp);
  try {
    // Lines are gathered into ~1 MiB chunks: one write call per line costs more than the JSON itself.
    let chunk = "";
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= 1 << 20) {
        if (!out.write(chunk)) await once(out, "drain");
        chunk = "";
      }
    }
    out.end(chunk);
    await once(out, "finish");
    await commitTemp(tmp, file);
  } catch (error) {
    out.destroy();
    await rm(tmp, { force: true });
    throw error;
  }
}

export function* jsonlLines(sel: Selection, options: JsonlOptions): Iterable<string> {
  for (const r of jsonlRecords(sel, options)) yield JSON.stringify(r);
}
