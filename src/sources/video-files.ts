import path from "node:path";

/** The file extensions the sources take for clips (lower case). */
export const VIDEO_EXTENSIONS = [".mp4", ".avi", ".mkv", ".flv", ".webm", ".mov", ".m4v"] as const;

/** True for a file name with a video extension (any case). */
export const isVideoName = (name: string): boolean => (VIDEO_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());

/** `clip.mp4` -> `clip`: a name given with a video extension stands for the clip's file stem. */
export function stripVideoExtension(name: string): string {
  return isVideoName(name) && path.extname(name).length < name.length ? name.slice(0, -path.extname(name).length) : name;
}
