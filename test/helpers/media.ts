import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

/** Generates a small test clip with ffmpeg's lavfi sources (argv, no shell). */
export function makeClip(file: string, o: { seconds?: number; video?: boolean; audio?: boolean; size?: string; fps?: number } = {}): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const seconds = String(o.seconds ?? 1);
  const args = ["-v", "error", "-y"];
  if (o.video !== false) args.push("-f", "lavfi", "-i", `testsrc=size=${o.size ?? "160x120"}:rate=${o.fps ?? 15}:duration=${seconds}`);
  if (o.audio !== false) args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=16000:duration=${seconds}`);
  if (o.video !== false) args.push("-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast");
  if (o.audio !== false) args.push("-c:a", "aac");
  args.push("-shortest", file);
  execFileSync("ffmpeg", args);
  return file;
}
