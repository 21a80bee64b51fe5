import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import ffmpegCommand from "fluent-ffmpeg";
import { MerrError } from "../../core/errors.ts";
import { tempPathFor } from "../../core/fs.ts";
import { tail, toolMissing } from "./run-tool.ts";

/**
 * All ffmpeg invocations of merr's media stages go through this module (fluent-ffmpeg builds the argv and
 * spawns ffmpeg without a shell). fluent-ffmpeg's upstream is archived: keeping it behind this one small
 * module means it can be replaced without touching a stage.
 */

type Command = ReturnType<typeof ffmpegCommand>;

function run(command: Command, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MerrError("E_ABORTED", `${what}: aborted before start`));
      return;
    }
    const onAbort = (): void => {
      command.kill("SIGKILL");
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    command
      .on("error", (error: Error, _stdout: string | null, stderr: string | null) => {
        signal?.removeEventListener("abort", onAbort);
        if (signal?.aborted) return reject(new MerrError("E_ABORTED", `${what}: aborted`, { cause: error }));
        if (/Cannot find ffmpeg|ENOENT/.test(error.message)) return reject(toolMissing("ffmpeg"));
        const text = tail(stderr || error.message, 600);
        const invalid = /Invalid data found|moov atom not found|does not contain any stream|End of file|Invalid argument|could not find codec/i.test(text);
        reject(
          new MerrError(invalid ? "E_MEDIA_INVALID" : "E_TOOL_FAILED", `${what}: ffmpeg failed: ${text}`, {
            cause: error,
            details: { stderrTail: text },
          }),
        );
      })
      .on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      })
      .run();
  });
}

export interface ExtractAudioOptions {
  sampleRate: number;
  signal?: AbortSignal;
}

const NO_AUDIO_STREAM = /Stream map '0:a:0' matches no streams|does not contain any stream/;

/**
 * Decodes the first audio stream to a mono 16-bit PCM WAV at `sampleRate`, written atomically to `out`.
 * Resolves false (and writes nothing) when the file has no audio stream.
 */
export async function extractAudio(input: string, out: string, opts: ExtractAudioOptions): Promise<boolean> {
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = tempPathFor(out);
  const command = ffmpegCommand(input)
    .inputOptions(["-nostdin"])
    .outputOptions(["-map", "0:a:0", "-vn", "-sn", "-dn"])
    .audioChannels(1)
    .audioFrequency(opts.sampleRate)
    .audioCodec("pcm_s16le")
    .format("wav")
    .output(tmp);
  try {
    await run(command, opts.signal, "extract-audio");
    await rename(tmp, out);
    return true;
  } catch (error) {
    // The adapter turns ffmpeg's wording into a result here, so no caller reads tool text.
    const stderr = error instanceof MerrError ? String(error.details?.stderrTail ?? "") : "";
    if (NO_AUDIO_STREAM.test(stderr)) return false;
    throw error;
  } finally {
    await rm(tmp, { force: true });
  }
}

export interface SampleFramesOptions {
  /** Frames per second to keep. */
  fps: number;
  /** Longest side of the written JPEGs in pixels (smaller frames are kept as they are). */
  maxSide: number;
  /** JPEG quality on ffmpeg's 2 (best) .. 31 scale. */
  quality: number;
  signal?: AbortSignal;
}

/**
 * Writes frames at a fixed rate as `<dir>/000001.jpg`... Frames are written into a temp folder that replaces
 * `dir` only when ffmpeg succeeded, so a crash never leaves a half-filled folder behind. Returns the file names.
 */
export async function sampleFrames(input: string, dir: string, opts: SampleFramesOptions): Promise<string[]> {
  const tmpDir = tempPathFor(dir);
  await mkdir(tmpDir, { recursive: true });
  const scale = `scale='if(gt(iw,ih),min(${opts.maxSide},iw),-2)':'if(gt(iw,ih),-2,min(${opts.maxSide},ih))'`;
  const command = ffmpegCommand(input)
    .inputOptions(["-nostdin"])
    .outputOptions(["-map", "0:v:0", "-an", "-vf", `fps=${opts.fps},${scale}`, "-q:v", String(opts.quality)])
    .output(path.join(tmpDir, "%06d.jpg"));
  try {
    await run(command, opts.signal, "sample-frames");
    const files = (await readdir(tmpDir)).filter((f) => f.endsWith(".jpg")).sort();
    await rm(dir, { recursive: true, force: true });
    await rename(tmpDir, dir);
    return files;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
