import path from "node:path";
import type { Logger } from "../core/logger.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import { sampleDir } from "../core/paths.ts";
import type { Counts } from "./select.ts";
import { exportVideo, mapLimit, type VideoMode } from "./videos.ts";

/** Where an export keeps the media its files reference, relative to the export folder. */
export const MEDIA_DIRS = { videos: "videos", audios: "audios" } as const;

/** Where a sample's video and WAV go, relative to the export folder. */
export const videoPath = (name: string): string => `${MEDIA_DIRS.videos}/${name}.mp4`;
export const audioPath = (name: string): string => `${MEDIA_DIRS.audios}/${name}.wav`;

/** A sample's media inside the export, as paths relative to the export folder (`videos/<name>.mp4`). */
export interface MediaPaths {
  video?: string;
  audio?: string;
}

/** A sample whose video or WAV could not be put in the export: the source is gone, or copying or transcoding failed. */
export interface MediaProblem {
  name: string;
  media: "video" | "audio";
  /** `video-missing`, `video-failed`, `audio-missing`, `audio-failed`. */
  reason: string;
  message: string;
}

/** A {@link MediaProblem} in the export report: what to do, and which data files carry the sample without it. */
export interface MissingMedia extends MediaProblem {
  fix: string;
  /** The data files that list the sample without this media (`merr.jsonl`, `sharegpt/merr_sharegpt.json`...). */
  in: string[];
}

export interface MediaExport {
  paths: Map<string, MediaPaths>;
  videos: Counts;
  audios: Counts;
  /** Names whose video could not be made, with the reason. */
  videoFailures: Map<string, string>;
  /** Every video or WAV that could not be put in the export, by name. */
  problems: MediaProblem[];
}

/**
 * Puts every entry's video (`videos/<name>.mp4`) and 16 kHz WAV (`audios/<name>.wav`) inside the export
 * folder, so the folder can be moved as a whole: videos per `mode` (symlink, copy or transcode), audio
 * symlinked with `symlink` and copied otherwise (a WAV needs no transcoding). A symlink points at the
 * source's absolute path: it survives moving the folder on this machine, not copying it to another one.
 */
export async function exportMedia(
  entries: readonly MerrEntry[],
  outDir: string,
  mode: Exclude<VideoMode, "none">,
  options: { audios?: boolean; concurrency?: number; signal?: AbortSignal; logger?: Logger },
): Promise<MediaExport> {
  const out: MediaExport = { paths: new Map(), videos: {}, audios: {}, videoFailures: new Map(), problems: [] };
  const count = (c: Counts, key: string): void => void (c[key] = (c[key] ?? 0) + 1);
  const limit = mode === "transcode" || mode === "auto" ? (options.concurrency ?? 2) : 16;
  await mapLimit(entries, limit, async (e) => {
    const media: MediaPaths = {};
    const video = videoPath(e.name);
    // A clip without a video stream (probe skipped it as no-video: an audio-only file) has no video to put
    // in, and lacks none: its rows (jsonl, csv) go without one. It is in neither MERR set.
    const probe = e.stages.probe;
    const v = probe?.status === "skipped" && probe.code === "no-video"
      ? undefined
      : await exportVideo(e.sample?.path, path.join(outDir, video), mode, options.signal);
    if (v === undefined) {
      count(out.videos, "no-video-stream");
    } else if (v.ok) {
      media.video = video;
      count(out.videos, v.action);
    } else {
      count(out.videos, v.reason);
      out.videoFailures.set(e.name, v.reason);
      out.problems.push({ name: e.name, media: "video", reason: v.reason, message: v.message });
      options.logger?.warn({ sample: e.name, reason: v.reason, message: v.message }, "video not exported");
    }
    if (e.wavPath && options.audios !== false) {
      const audio = audioPath(e.name);
      const a = await exportVideo(e.wavPath, path.join(outDir, audio), mode === "symlink" ? "symlink" : "copy", options.signal);
      if (a.ok) {
        media.audio = audio;
        count(out.audios, a.action);
      } else {
        const reason = a.reason === "video-missing" ? "audio-missing" : "audio-failed";
        const message = reason === "audio-missing" ? `the WAV extract-audio made is gone: ${e.wavPath}` : a.message;
        count(out.audios, reason);
        out.problems.push({ name: e.name, media: "audio", reason, message });
        options.logger?.warn({ sample: e.name, reason, message }, "audio not exported");
      }
    }
    out.paths.set(e.name, media);
  });
  out.problems.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.media.localeCompare(b.media)));
  return out;
}

/** What to do about a media problem of a sample of the run `runDir`. */
export function mediaFix(p: MediaProblem, runDir: string): string {
  if (p.reason === "audio-missing") {
    // The build notices a file its records name that is gone and redoes that stage alone (a run finished before
    // sample.json listed its files is not checked: there, deleting the sample's folder redoes it).
    return `run merr build on ${runDir} again with the same options (it makes the missing audio.wav again; for a run built before merr listed a sample's files, delete ${sampleDir(runDir, p.name)} first), then export again`;
  }
  if (p.reason === "audio-failed") return "check the export folder (space, permissions), then export again";
  if (p.reason === "video-missing") return "put the clip back at the path its sample record names (merr build reads it there too), then export again";
  return "export with --videos copy (keeps the clip's bytes), or check the clip with ffprobe, then export again";
}
