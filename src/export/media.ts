import path from "node:path";
import type { Logger } from "../core/logger.ts";
import type { MerrEntry } from "../core/merr-entry.ts";
import type { Counts } from "./select.ts";
import { exportVideo, mapLimit, type VideoMode } from "./videos.ts";

/** Where an export keeps the media its files reference, relative to the export folder. */
export const MEDIA_DIRS = { videos: "videos", audios: "audios" } as const;

/** A sample's media inside the export, as paths relative to the export folder (`videos/<name>.mp4`). */
export interface MediaPaths {
  video?: string;
  audio?: string;
}

export interface MediaExport {
  paths: Map<string, MediaPaths>;
  videos: Counts;
  audios: Counts;
  /** Names whose video could not be made, with the reason. */
  videoFailures: Map<string, string>;
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
  options: { concurrency?: number; signal?: AbortSignal; logger?: Logger },
): Promise<MediaExport> {
  const out: MediaExport = { paths: new Map(), videos: {}, audios: {}, videoFailures: new Map() };
  const count = (c: Counts, key: string): void => void (c[key] = (c[key] ?? 0) + 1);
  const limit = mode === "transcode" || mode === "auto" ? (options.concurrency ?? 2) : 16;
  await mapLimit(entries, limit, async (e) => {
    const media: MediaPaths = {};
    const video = path.posix.join(MEDIA_DIRS.videos, `${e.name}.mp4`);
    const v = await exportVideo(e.sample?.path, path.join(outDir, video), mode, options.signal);
    if (v.ok) {
      media.video = video;
      count(out.videos, v.action);
    } else {
      count(out.videos, v.reason);
      out.videoFailures.set(e.name, v.reason);
      options.logger?.warn({ sample: e.name, reason: v.reason, message: v.message }, "video not exported");
    }
    if (e.wavPath) {
      const audio = path.posix.join(MEDIA_DIRS.audios, `${e.name}.wav`);
      const a = await exportVideo(e.wavPath, path.join(outDir, audio), mode === "symlink" ? "symlink" : "copy", options.signal);
      if (a.ok) media.audio = audio;
      count(out.audios, a.ok ? a.action : a.reason === "video-missing" ? "audio-missing" : "audio-failed");
    }
    out.paths.set(e.name, media);
  });
  return out;
}
