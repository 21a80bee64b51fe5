import { z } from "zod";
import { MerrError } from "../../core/errors.ts";
import { runTool, tail, type RunToolOptions } from "./run-tool.ts";

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
});

const ProbeSchema = z.object({
  streams: z.array(StreamSchema).default([]),
  format: z.looseObject({ duration: z.string().optional(), format_name: z.string().optional(), size: z.string().optional() }).optional(),
});

export type FfprobeStream = z.infer<typeof StreamSchema>;
export type FfprobeResult = z.infer<typeof ProbeSchema>;

/** Parses an ffprobe rate such as "30000/1001"; 0 when unknown. */
export function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [n, d] = rate.split("/").map(Number);
  if (!Number.isFinite(n) || !n) return 0;
  return d ? (n as number) / d : (n as number);
}

/**
 * Runs ffprobe on a media file. `countFrames` decodes the video to count frames exactly (slower,
 * needed for containers such as FLV that do not store a frame count).
 */
export async function ffprobe(file: string, opts: RunToolOptions & { countFrames?: boolean } = {}): Promise<FfprobeResult> {
  const args = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"];
  if (opts.countFrames) args.push("-count_frames");
  args.push(file);
  let stdout: string;
  try {
    ({ stdout } = await runTool("ffprobe", args, opts));
  } catch (error) {
    if (error instanceof MerrError && error.code === "E_TOOL_FAILED") {
      throw new MerrError("E_MEDIA_INVALID", `not a readable media file: ${tail(String(error.details?.stderrTail ?? error.message), 300)}`, { cause: error });
    }
    throw error;
  }
  const parsed = ProbeSchema.safeParse(JSON.parse(stdout || "{}"));
  if (!parsed.success) throw new MerrError("E_TOOL_FAILED", "ffprobe printed JSON of an unexpected shape");
  return parsed.data;
}
