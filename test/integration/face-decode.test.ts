import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analysisSize, decodeArgs, probeVideo } from "../../src/adapters/face/frames.ts";
import { projectPath } from "../../src/core/paths.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

// The face analysis must see the same pixels on every machine of a distributed build. ffmpeg's swscale
// takes SIMD paths that round differently from its C code; `-cpuflags 0` runs ffmpeg as on a CPU without
// SIMD, so the same argv with and without it stands for two machines with different CPU features.

const md5 = (args: string[]): string => createHash("md5").update(execFileSync("ffmpeg", args, { maxBuffer: 1 << 30 })).digest("hex");

let dir: string;
const HAP = projectPath("data/sample/1001_DFA_HAP_XX.flv");

beforeAll(async () => {
  dir = await tempOutDir("merr-face-decode-");
});

describe("decoding for the face analysis", () => {
  it("gives the same RGB bytes whatever the CPU's SIMD: at the clip's size, downscaled HD and widened anamorphic video", async () => {
    const hd = path.join(dir, "hd.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", HAP, "-t", "0.5", "-an", "-vf", "scale=1920:1080", "-c:v", "libx264", "-pix_fmt", "yuv420p", hd]);
    const anamorphic = path.join(dir, "anamorphic.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", HAP, "-t", "0.5", "-an", "-vf", "scale=336:360,setsar=10/7", "-c:v", "libx264", "-pix_fmt", "yuv420p", anamorphic]);
    for (const clip of [HAP, hd, anamorphic]) {
      const geo = await probeVideo(clip);
      const args = decodeArgs(clip, geo, analysisSize(geo, 960));
      expect({ clip: path.basename(clip), md5: md5(["-cpuflags", "0", ...args]) }).toEqual({ clip: path.basename(clip), md5: md5(args) });
    }
  });
});
