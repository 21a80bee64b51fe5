import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analysisSize, decodeArgs, probeVideo } from "../../src/adapters/face/frames.ts";
import { bitexactAudio } from "../../src/adapters/tools/ffmpeg.ts";
import { projectPath } from "../../src/core/paths.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

// Every machine of a distributed build must decode a clip to the same pixels and samples. ffmpeg's swscale,
// float audio decoders and resampler take SIMD paths that round differently from their C code; `-cpuflags 0`
// runs ffmpeg as on a CPU without SIMD, so the same argv with and without it stands for two machines with
// different CPU features.

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

  it("gives the same 16 kHz samples whatever the CPU's SIMD, where the default decoders do not (MP3, AAC; and AC-3)", () => {
    const aac = path.join(dir, "audio.m4a");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", HAP, "-vn", "-c:a", "aac", "-b:a", "96k", aac]);
    const ac3 = path.join(dir, "audio.ac3");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", HAP, "-vn", "-c:a", "ac3", "-ac", "2", ac3]);
    // extract-audio's argv: the decoder before the input, the filter and the output format after it.
    const wav = (file: string, codec: string | undefined, cpu: string[]): string => {
      const exact = bitexactAudio(codec, 16000);
      return md5([...cpu, "-nostdin", "-v", "error", ...exact.input, "-i", file, "-map", "0:a:0", "-vn", "-af", exact.filter, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", "-"]);
    };
    const plain = (file: string, cpu: string[]): string => md5([...cpu, "-nostdin", "-v", "error", "-i", file, "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", "-"]);
    for (const [file, codec] of [[HAP, "mp3"], [aac, "aac"], [ac3, "ac3"]] as const) {
      expect({ codec, md5: wav(file, codec, ["-cpuflags", "0"]) }).toEqual({ codec, md5: wav(file, codec, []) });
      // Without it the two machines disagree on MP3 and AAC (the reason for bitexactAudio); AC-3's float
      // decoder happened to agree on this clip.
      if (codec !== "ac3") expect(plain(file, ["-cpuflags", "0"])).not.toBe(plain(file, []));
    }
  });
});
