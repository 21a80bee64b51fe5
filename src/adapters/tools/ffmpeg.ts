import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import ffmpegCommand from "fluent-ffmpeg";
import { z } from "zod";
import { MerrError } from "../../core/errors.ts";
import { tempPathFor } from "../../core/fs.ts";
import { endWithProcess, OWN_PROCESS_GROUP } from "./process-group.ts";
import { runTool, stableToolText, tail, toolMissing, toolVersion, type RunToolOptions } from "./run-tool.ts";

/**
 * Every ffmpeg and ffprobe run of merr goes through this module. fluent-ffmpeg builds the commands that
 * write files from options (extract-audio, sample-frames); the others pass a fixed argv to runTool or
 * spawn, for the reasons in docs/media.md (JSON or raw bytes on stdout, a timeout, a frame stream).
 * fluent-ffmpeg's upstream is archived: keeping it behind this one module means it can be replaced
 * without touching a caller.
 */

/** `ffmpeg -version`'s first line, for provenance. */
export const ffmpegVersion = (): Promise<string> => toolVersion("ffmpeg");
/** `ffprobe -version`'s first line, for provenance. */
export const ffprobeVersion = (): Promise<string> => toolVersion("ffprobe");

type Command = ReturnType<typeof ffmpegCommand>;

/** ffmpeg's start-up banner: version, build options, library versions, and the input/stream dump. */
const BANNER = /^\s*(ffmpeg version |ffprobe version |built with |configuration: |lib(avutil|avcodec|avformat|avdevice|avfilter|swscale|swresample|postproc)\s)/;

/**
 * What ffmpeg said went wrong: its stderr without the banner, the last lines first-to-last, at most `max`
 * characters. The cause is at the end of ffmpeg's output ("...: Invalid data found when processing input");
 * the banner, printed first, only says which build ran.
 */
export function ffmpegCause(stderr: string, max = 400): string {
  const lines = stableToolText(stderr).split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== "" && !BANNER.test(l));
  const out: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0 && size + lines[i]!.length <= max; i--) {
    out.unshift(lines[i]!.trim());
    size += lines[i]!.length + 3;
  }
  return out.join(" | ") || tail(stderr, max);
}

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
        const text = stderr ? ffmpegCause(stderr) : tail(error.message, 600);
        // fluent-ffmpeg starts ffmpeg in merr's process group, so a terminal's Ctrl-C reaches it too: an
        // interrupted ffmpeg says nothing about the input, and the job is tried again (not a broken file).
        if (/received signal|killed with signal/i.test(`${error.message} ${stderr ?? ""}`)) {
          return reject(new MerrError("E_ABORTED", `${what}: ffmpeg was interrupted by a signal`, { cause: error }));
        }
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
  /** The audio stream's codec (ffprobe `codec_name`, the probe stage's `audioCodec`), to pick its decoder. */
  codec?: string;
  signal?: AbortSignal;
}

/**
 * Fixed-point decoders of codecs whose default decoder computes in floating point with SIMD that rounds
 * differently from its C code (checked with `-cpuflags 0`: the sample clip's MP3 and its AAC re-encode
 * decode to other samples; AC-3's float decoder agreed on that clip, but uses the same float DSP).
 */
const FIXED_POINT_DECODERS: Readonly<Record<string, string>> = { mp3: "mp3", aac: "aac_fixed", ac3: "ac3_fixed" };

/**
 * ffmpeg input options and audio filter for the same 16 kHz samples on every CPU: a fixed-point decoder
 * where the codec has one, and resampling in double precision, which gives the same samples with ffmpeg's
 * SIMD on or off (the default single-precision resampler does not). Other float codecs (Opus, Vorbis)
 * stay on their default decoder. Pure.
 */
export function bitexactAudio(codec: string | undefined, sampleRate: number): { input: string[]; filter: string } {
  const decoder = codec ? FIXED_POINT_DECODERS[codec] : undefined;
  return { input: decoder ? ["-c:a", decoder] : [], filter: `aresample=${sampleRate}:internal_sample_fmt=dblp` };
}

const NO_AUDIO_STREAM = /Stream map '0:a:0' matches no streams|does not contain any stream/;

/**
 * Decodes the first audio stream to a mono 16-bit PCM WAV at `sampleRate`, written atomically to `out`.
 * Resolves false (and writes nothing) when the file has no audio stream.
 */
export async function extractAudio(input: string, out: string, opts: ExtractAudioOptions): Promise<boolean> {
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = tempPathFor(out);
  const exact = bitexactAudio(opts.codec, opts.sampleRate);
  const command = ffmpegCommand(input)
    .inputOptions(["-nostdin", ...exact.input])
    .outputOptions(["-map", "0:a:0", "-vn", "-sn", "-dn", "-af", exact.filter])
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
  /** Also emit the frame the fps filter holds when the stream ends (for clips shorter than one interval). */
  keepLastFrame?: boolean;
  /** The stream has non-square pixels (probe `pixelAspect`): widen the frames to square pixels first. */
  squarePixels?: boolean;
  signal?: AbortSignal;
}

/**
 * ffmpeg filter resampling non-square pixels (anamorphic SD video, 720x576 shown 16:9) to square ones, so
 * a picture file shows the frame as a player does: image files carry no pixel aspect that viewers and
 * image models honour. After autorotation `sar` is already the rotated stream's.
 */
export const SQUARE_PIXELS_FILTER = "scale=trunc(iw*sar/2)*2:ih,setsar=1";

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
    .outputOptions([
      "-map", "0:V:0", "-an",
      "-vf", `fps=${opts.fps}${opts.keepLastFrame ? ":eof_action=pass" : ""},${opts.squarePixels ? `${SQUARE_PIXELS_FILTER},` : ""}${scale}`,
      "-q:v", String(opts.quality),
    ])
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

const FFMPEG_IN = ["-nostdin", "-hide_banner", "-loglevel", "error"];

/**
 * Writes frame number `index` (0-based, counted over every decoded frame, so variable frame rate clips give
 * the same frame OpenFace numbered), or else the first frame at or after `timeS` seconds, as one JPEG.
 * Writes nothing (and does not fail) when the clip has no such frame: the caller checks the file.
 */
export async function extractFrame(
  clip: string,
  at: { index: number } | { timeS: number },
  out: string,
  opts: { quality: number; squarePixels?: boolean; signal?: AbortSignal },
): Promise<void> {
  const square = opts.squarePixels ?? false;
  await runTool("ffmpeg", "index" in at ? frameByNumberArgs(clip, at.index, out, opts.quality, square) : frameByTimeArgs(clip, at.timeS, out, opts.quality, square), {
    signal: opts.signal,
  });
}

/** ffmpeg argv for {@link extractFrame} by frame number. */
function frameByNumberArgs(clip: string, index: number, out: string, quality: number, square: boolean): string[] {
  return [
    "-nostdin", "-v", "error", "-y", "-i", clip, "-map", "0:V:0",
    // In a filtergraph a bare ',' separates filters: the one inside eq() is escaped.
    "-vf", `select=eq(n\\,${index})${square ? `,${SQUARE_PIXELS_FILTER}` : ""}`, "-fps_mode", "passthrough", "-frames:v", "1", "-q:v", String(quality), out,
  ];
}

/** ffmpeg argv for {@link extractFrame} by time. */
function frameByTimeArgs(clip: string, timeS: number, out: string, quality: number, square: boolean): string[] {
  return [
    "-nostdin", "-v", "error", "-y", "-ss", timeS.toFixed(3), "-i", clip, "-map", "0:V:0",
    ...(square ? ["-vf", SQUARE_PIXELS_FILTER] : []),
    "-frames:v", "1", "-q:v", String(quality), out,
  ];
}

/** Re-encodes any clip to a widely readable mp4 (H.264 yuv420p, AAC, even dimensions). */
export async function transcodeToMp4(source: string, target: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  await runTool("ffmpeg", transcodeArgs(source, target), { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 10 * 60_000 });
}

function transcodeArgs(source: string, target: string): string[] {
  return [
    ...FFMPEG_IN, "-y", "-i", source,
    "-map", "0:V:0", "-map", "0:a:0?",
    "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", target,
  ];
}

/** Decodes a file's first audio stream to mono 32-bit float samples at `rate` (raw bytes from stdout). */
export async function decodeAudioF32(file: string, rate: number, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Uint8Array> {
  const r = await runTool("ffmpeg", [...FFMPEG_IN, "-i", file, "-vn", "-map", "0:a:0", "-ac", "1", "-ar", String(rate), "-f", "f32le", "pipe:1"], {
    binary: true,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  return r.stdoutBytes;
}

/** Converts a file's first audio stream to a mono 16-bit WAV at `rate`. */
export async function convertAudioToWav(file: string, outWav: string, rate: number, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  await runTool("ffmpeg", [...FFMPEG_IN, "-y", "-i", file, "-vn", "-map", "0:a:0", "-ac", "1", "-ar", String(rate), "-c:a", "pcm_s16le", outWav], {
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}

/**
 * Starts ffmpeg with `args` and stdout as a pipe, for a caller that consumes a stream as it is decoded
 * (the face analyzer reads raw RGB frames one by one). The caller handles exit, errors and the signal.
 */
export function spawnFfmpegStream(args: readonly string[], signal?: AbortSignal): ChildProcessByStdio<null, Readable, Readable> {
  return endWithProcess(spawn("ffmpeg", args, { ...OWN_PROCESS_GROUP, stdio: ["ignore", "pipe", "pipe"], signal }));
}

const StreamSchema = z.looseObject({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  nb_frames: z.string().optional(),
  nb_read_frames: z.string().optional(),
  duration: z.string().optional(),
  sample_rate: z.string().optional(),
  channels: z.number().optional(),
  /** Pixel aspect ratio ("64:45"; "0:1" or absent when unknown, read as square). */
  sample_aspect_ratio: z.string().optional(),
  /** Display rotation: ffprobe's display matrix side data (`rotation`, degrees) or the older `rotate` tag. */
  side_data_list: z.array(z.looseObject({ rotation: z.number().optional() })).optional(),
  tags: z.looseObject({ rotate: z.string().optional() }).optional(),
  /** `attached_pic` 1: cover art, one picture rather than a stream of frames. */
  disposition: z.looseObject({ attached_pic: z.number().optional() }).optional(),
});

const ProbeSchema = z.object({
  streams: z.array(StreamSchema).default([]),
  format: z.looseObject({ duration: z.string().optional(), format_name: z.string().optional(), size: z.string().optional() }).optional(),
});

export type FfprobeResult = z.infer<typeof ProbeSchema>;

/** Where one stream's data lies, from the packets a demuxer can read. */
export interface StreamExtent {
  /** Earliest packet time (s). */
  firstS: number;
  /** Latest packet end: pts + duration (s). */
  endS: number;
}

/**
 * Reads every packet of a media file without decoding (ffprobe `-show_entries packet`), so a file cut
 * short shows where its data really ends whatever its header declares. Keyed by stream index; a packet
 * without a presentation time counts at its decoding time, and streams with neither are left out. A
 * file ffprobe cannot read is E_PROBE_FAILED.
 */
export async function streamExtents(file: string, opts: RunToolOptions = {}): Promise<Map<number, StreamExtent>> {
  const stdout = await runFfprobe(file, ["-v", "error", "-show_entries", "packet=stream_index,pts_time,dts_time,duration_time", "-of", "csv=p=0", file], opts);
  return parseStreamExtents(stdout);
}

/** Pure: ffprobe's packet lines (`stream_index,pts_time,dts_time,duration_time`) to each stream's extent. */
export function parseStreamExtents(csv: string): Map<number, StreamExtent> {
  const out = new Map<number, StreamExtent>();
  const time = (v: string | undefined): number => (v && v !== "N/A" ? Number(v) : NaN);
  for (const line of csv.split("\n")) {
    const [index, pts, dts, duration] = line.trim().split(",");
    const i = Number(index);
    const t = Number.isFinite(time(pts)) ? time(pts) : time(dts);
    if (!index || !Number.isInteger(i) || !Number.isFinite(t)) continue;
    const d = Number(duration);
    const end = t + (Number.isFinite(d) && d > 0 ? d : 0);
    const e = out.get(i);
    if (e) {
      e.firstS = Math.min(e.firstS, t);
      e.endS = Math.max(e.endS, end);
    } else out.set(i, { firstS: t, endS: end });
  }
  return out;
}

/**
 * The size a video stream is shown (and decoded by ffmpeg, which rotates by default) at: width and height
 * swapped for a stream rotated by 90 or 270 degrees (phone videos). Pure.
 */
export function displaySize(stream: { width?: number; height?: number; side_data_list?: Array<{ rotation?: number }>; tags?: { rotate?: string } }): { width: number; height: number } {
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  const rotation = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? Number(stream.tags?.rotate ?? 0);
  return Math.abs(Math.round(rotation / 90)) % 2 === 1 ? { width: height, height: width } : { width, height };
}

/**
 * How much wider than tall one pixel of the decoded frames is shown (1 for square pixels): the stream's
 * sample aspect ratio, along the decoded frame's x axis (inverted for a stream shown rotated by 90 degrees,
 * which ffmpeg decodes upright). SD television is often stored anamorphic (720x576 at 64:45 for 16:9).
 */
export function pixelAspect(stream: { sample_aspect_ratio?: string; side_data_list?: Array<{ rotation?: number }>; tags?: { rotate?: string } }): number {
  const [n, d] = (stream.sample_aspect_ratio ?? "").split(":").map(Number);
  const sar = n && d && Number.isFinite(n / d) && n / d > 0 ? n / d : 1;
  const rotated = displaySize({ side_data_list: stream.side_data_list, tags: stream.tags, width: 1, height: 2 }).width === 2;
  return Math.abs(sar - 1) < 0.01 ? 1 : rotated ? 1 / sar : sar;
}

/** Parses an ffprobe rate such as "30000/1001"; 0 when unknown. */
export function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [n, d] = rate.split("/").map(Number);
  if (!Number.isFinite(n) || !n) return 0;
  return d ? (n as number) / d : (n as number);
}

const PROBE_FIX =
  "check that it is a complete, playable video, not another kind of file under a video's name nor a download or copy cut short; re-encoding a damaged video with ffmpeg often repairs it";

/** Runs ffprobe with `args` on `file`; a run that fails is E_PROBE_FAILED naming the file, ffprobe's words and the fix. */
async function runFfprobe(file: string, args: readonly string[], opts: RunToolOptions): Promise<string> {
  try {
    return (await runTool("ffprobe", args, opts)).stdout;
  } catch (error) {
    if (error instanceof MerrError && error.code === "E_TOOL_FAILED") {
      const said = tail(String(error.details?.stderrTail ?? error.message), 300);
      throw new MerrError("E_PROBE_FAILED", `ffprobe cannot read ${file}: ${said || "no output"}; ${PROBE_FIX}`, { cause: error, details: { file, stderrTail: said } });
    }
    throw error;
  }
}

/**
 * Runs ffprobe on a media file. `countFrames` decodes the video to count frames exactly (slower,
 * needed for containers such as FLV that do not store a frame count). A file ffprobe cannot read is
 * E_PROBE_FAILED naming the file, ffprobe's words and the fix.
 */
export async function ffprobe(file: string, opts: RunToolOptions & { countFrames?: boolean } = {}): Promise<FfprobeResult> {
  const args = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"];
  if (opts.countFrames) args.push("-count_frames");
  args.push(file);
  const stdout = await runFfprobe(file, args, opts);
  let json: unknown;
  try {
    json = JSON.parse(stdout || "{}");
  } catch (error) {
    throw new MerrError("E_PROBE_FAILED", `ffprobe printed no valid JSON for ${file} (${(error as Error).message}); is /usr/bin/ffprobe the ffmpeg package's?`, { cause: error, details: { file } });
  }
  const parsed = ProbeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MerrError("E_PROBE_FAILED", `ffprobe's JSON for ${file} has an unexpected shape (${issue?.path.join(".") || "root"}: ${issue?.message}); is /usr/bin/ffprobe the ffmpeg package's?`, { details: { file } });
  }
  return parsed.data;
}

/**
 * Where the first audio stream starts against the first video stream (seconds; positive: the audio starts
 * later). extract-audio's WAV begins at the audio's first sample and the face CSV's time at the first video
 * frame (the frames are decoded `-fps_mode passthrough`, src/adapters/face/frames.ts), so a time in the WAV
 * is this much later on the CSV's clock. 0 when either stream or time is missing. A file ffprobe cannot read
 * is E_PROBE_FAILED.
 */
export async function audioStartOffset(file: string, opts: RunToolOptions = {}): Promise<number> {
  const stdout = await runFfprobe(file, ["-v", "error", "-show_entries", "stream=codec_type,start_time:stream_disposition=attached_pic", "-print_format", "json", file], opts);
  return parseAudioStartOffset(stdout);
}

/** Pure: {@link audioStartOffset} from ffprobe's JSON (the video stream as the face decoder maps it: `0:V:0`, no cover picture). */
export function parseAudioStartOffset(stdout: string): number {
  let json: unknown;
  try {
    json = JSON.parse(stdout || "{}");
  } catch {
    return 0;
  }
  const parsed = z
    .object({ streams: z.array(z.looseObject({ codec_type: z.string().optional(), start_time: z.string().optional(), disposition: z.looseObject({ attached_pic: z.number().optional() }).optional() })).default([]) })
    .safeParse(json);
  if (!parsed.success) return 0;
  const start = (s: { start_time?: string } | undefined): number => (s?.start_time !== undefined && s.start_time !== "N/A" ? Number(s.start_time) : Number.NaN);
  const video = start(parsed.data.streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1));
  const audio = start(parsed.data.streams.find((s) => s.codec_type === "audio"));
  return Number.isFinite(video) && Number.isFinite(audio) ? Math.round((audio - video) * 1000) / 1000 : 0;
}

/**
 * Text subtitle codecs ffmpeg decodes and can write as SubRip. Others are pictures (DVD, Blu-ray PGS, DVB) or
 * text ffmpeg has no decoder for (`hdmv_text_subtitle`, `arib_caption`, `ttml`): their words cannot be read.
 */
const TEXT_SUBTITLES = new Set(["subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd", "subviewer", "subviewer1", "sami", "realtext", "jacosub", "mpl2", "pjs", "stl", "vplayer", "eia_608"]);

/** One subtitle stream of a media file. */
export interface SubtitleStream {
  /** The stream's index in the file (`-map 0:<index>`). */
  index: number;
  codec: string;
  /** The stream's language tag as stored (`eng`, `chi`, `zh-Hans`), when it has one. */
  language?: string;
  /** Forced subtitles: only the lines in a foreign language, not the dialogue. */
  forced: boolean;
  /** A text codec ffmpeg decodes (SubRip, ASS, mov_text, WebVTT...), whose words it can give as SubRip. */
  text: boolean;
}

/** The subtitle streams of a media file, in file order. A file ffprobe cannot read is E_PROBE_FAILED. */
export async function subtitleStreams(file: string, opts: RunToolOptions = {}): Promise<SubtitleStream[]> {
  const stdout = await runFfprobe(file, ["-v", "error", "-select_streams", "s", "-show_entries", "stream=index,codec_name:stream_tags=language:stream_disposition=forced", "-print_format", "json", file], opts);
  return parseSubtitleStreams(stdout, file);
}

/** Pure: ffprobe's JSON of `-select_streams s` to {@link SubtitleStream}s; `file` names the file in errors. */
export function parseSubtitleStreams(stdout: string, file: string): SubtitleStream[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout || "{}");
  } catch (error) {
    throw new MerrError("E_PROBE_FAILED", `ffprobe printed no valid JSON for the subtitle streams of ${file} (${(error as Error).message})`, { cause: error });
  }
  const parsed = z
    .object({
      streams: z
        .array(z.looseObject({ index: z.number().int(), codec_name: z.string().optional(), tags: z.looseObject({ language: z.string().optional() }).optional(), disposition: z.looseObject({ forced: z.number().optional() }).optional() }))
        .default([]),
    })
    .safeParse(json);
  if (!parsed.success) throw new MerrError("E_PROBE_FAILED", `ffprobe's subtitle streams of ${file} are not as expected: ${parsed.error.message}`);
  return parsed.data.streams.map((s) => {
    const codec = s.codec_name ?? "unknown";
    const language = s.tags?.language && s.tags.language !== "und" ? s.tags.language : undefined;
    return { index: s.index, codec, ...(language ? { language } : {}), forced: s.disposition?.forced === 1, text: TEXT_SUBTITLES.has(codec) };
  });
}

/**
 * A text subtitle stream as SubRip text (ffmpeg converts ASS, mov_text, WebVTT...). ffmpeg skips a cue that
 * is not UTF-8 ("Invalid UTF-8 in decoded subtitles text") and still succeeds: that is E_DATA_INVALID here,
 * not a transcript with lines missing.
 */
export async function subtitleStreamAsSrt(file: string, index: number, opts: RunToolOptions = {}): Promise<string> {
  const notUtf8 = (stderr: string): MerrError | undefined =>
    /Invalid UTF-8/i.test(stderr)
      ? new MerrError("E_DATA_INVALID", `${file} subtitle stream ${index}: its text is not UTF-8, and ffmpeg drops such lines (remux it with -sub_charenc <encoding>, e.g. GBK or CP1252)`)
      : undefined;
  let r;
  try {
    r = await runTool("ffmpeg", ["-nostdin", "-v", "error", "-i", file, "-map", `0:${index}`, "-c:s", "srt", "-f", "srt", "pipe:1"], opts);
  } catch (error) {
    // With no line left to write, ffmpeg fails outright.
    throw (error instanceof MerrError && error.code === "E_TOOL_FAILED" && notUtf8(String(error.details?.stderrTail ?? error.message))) || error;
  }
  const bad = notUtf8(r.stderr);
  if (bad) throw bad;
  return r.stdout;
}
