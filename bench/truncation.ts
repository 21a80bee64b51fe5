/**
 * Files cut short: does the probe stage's check (its packets end well before the declared duration) find
 * them, and does it leave intact files alone? The six sample clips are written in ten containers and eight
 * more layouts (audio or video longer than the other, variable frame rate, timestamps from 10 s as in a
 * clip cut from a recording, a subtitle past the end), then each file is cut to 30-99 % of its bytes, as a
 * download that stops early leaves it.
 *
 *     node --import tsx bench/truncation.ts [--keep]
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ffprobe, streamExtents } from "../src/adapters/tools/ffmpeg.ts";
import { MerrError } from "../src/core/errors.ts";
import { isTruncated, readableExtent, summariseProbe, TRUNCATION_MIN_S, TRUNCATION_SHARE } from "../src/stages/probe.ts";

const run = promisify(execFile);
const SAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "data", "sample");
const CUTS = [30, 60, 80, 90, 95, 98, 99];

/** Stands for the subtitle file in the arguments below. */
const SUBTITLE = "<subtitle.srt>";

/** name -> ffmpeg output arguments (after `-i clip.flv`). */
const VARIANTS: Record<string, string[]> = {
  "flv (as given)": [],
  "mp4": ["-c:v", "libx264", "-c:a", "aac", "-f", "mp4"],
  "mp4 faststart": ["-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart", "-f", "mp4"],
  "mov": ["-c:v", "libx264", "-c:a", "aac", "-f", "mov"],
  "mkv": ["-c:v", "libx264", "-c:a", "aac", "-f", "matroska"],
  "webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus", "-f", "webm"],
  "avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame", "-f", "avi"],
  "mpeg-ts": ["-c:v", "libx264", "-c:a", "aac", "-f", "mpegts"],
  "mpeg-ps": ["-c:v", "mpeg2video", "-c:a", "mp2", "-f", "vob"],
  "ogg": ["-c:v", "libtheora", "-c:a", "libvorbis", "-f", "ogg"],
  "mp4 faststart, audio 1 s longer": ["-filter_complex", "[0:a]apad=pad_dur=1[a]", "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart", "-f", "mp4"],
  "mp4 faststart, video 1 s longer": ["-filter_complex", "[0:v]tpad=stop_duration=1[v]", "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart", "-f", "mp4"],
  "mkv, video 1 s longer": ["-filter_complex", "[0:v]tpad=stop_duration=1[v]", "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-c:a", "aac", "-f", "matroska"],
  "mp4 faststart, variable frame rate": ["-vf", "select=not(eq(mod(n\\,3)\\,2))", "-fps_mode", "vfr", "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart", "-f", "mp4"],
  // Clips cut from a longer recording with their timestamps kept.
  "mp4 faststart, times from 10 s": ["-c:v", "libx264", "-c:a", "aac", "-output_ts_offset", "10", "-movflags", "+faststart", "-f", "mp4"],
  "mkv, times from 10 s": ["-c:v", "libx264", "-c:a", "aac", "-output_ts_offset", "10", "-f", "matroska"],
  // A subtitle cue that runs 1.5 s past the video: the declared duration includes it.
  "mp4 faststart, subtitle past the end": ["-i", SUBTITLE, "-map", "0:v", "-map", "0:a", "-map", "1", "-c:v", "libx264", "-c:a", "aac", "-c:s", "mov_text", "-movflags", "+faststart", "-f", "mp4"],
  "mkv, subtitle past the end": ["-i", SUBTITLE, "-map", "0:v", "-map", "0:a", "-map", "1", "-c:v", "libx264", "-c:a", "aac", "-c:s", "srt", "-f", "matroska"],
};

type Verdict = { kind: "probe-failed" } | { kind: "read"; declaredS: number; readableS: number; avEndS: number; truncated: boolean };

async function judge(file: string): Promise<Verdict> {
  try {
    const result = await ffprobe(file);
    const summary = summariseProbe(result, (await stat(file)).size);
    const extents = await streamExtents(file);
    const extent = readableExtent(result, extents);
    if (!extent) throw new Error(`${file}: no packet times`);
    // Where the audio and video end: what a missed cut lost (a subtitle stream may end later).
    const avEndS = Math.max(...result.streams.filter((s) => s.codec_type === "audio" || s.codec_type === "video").map((s) => extents.get(s.index)?.endS ?? 0));
    return { kind: "read", declaredS: summary.durationS, readableS: extent.readableS, avEndS, truncated: isTruncated(summary.durationS, extent.readableS, extent.startS) };
  } catch (error) {
    if (error instanceof MerrError && error.code === "E_PROBE_FAILED") return { kind: "probe-failed" };
    throw error;
  }
}

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const dir = await mkdtemp(path.join(tmpdir(), "merr-bench-truncation-"));
  const clips = (await readdir(SAMPLE)).filter((f) => f.endsWith(".flv")).sort();
  const subtitle = path.join(dir, "subtitle.srt");
  await writeFile(subtitle, "1\n00:00:00,500 --> 00:00:03,500\nA line that stays on screen after the clip ends.\n");
  process.stdout.write(`rule: cut short when the packets end more than max(${TRUNCATION_MIN_S} s, ${TRUNCATION_SHARE * 100} % of the clip's span) before the declared duration\n`);
  process.stdout.write(`${clips.length} sample clips x ${Object.keys(VARIANTS).length} layouts; cuts keep ${CUTS.join(", ")} % of the bytes\n\n`);
  process.stdout.write("layout                              intact: flagged  largest gap (s) | cut: found  probe fails  missed (largest audio/video loss missed, s)\n");
  const totals = { intact: 0, intactFlagged: 0, cut: 0, found: 0, probeFailed: 0, missed: 0 };
  try {
    let v = 0;
    for (const [name, args] of Object.entries(VARIANTS)) {
      v++;
      let flagged = 0, worstGap = -Infinity, found = 0, failed = 0, missed = 0, worstMissed = 0;
      for (const clip of clips) {
        const intact = path.join(dir, `${v}-${clip}.media`);
        if (args.length === 0) await writeFile(intact, await readFile(path.join(SAMPLE, clip)));
        else await run("ffmpeg", ["-v", "error", "-y", "-i", path.join(SAMPLE, clip), ...args.map((a) => (a === SUBTITLE ? subtitle : a)), intact]);
        const whole = await judge(intact);
        if (whole.kind !== "read") throw new Error(`${name}: ffprobe cannot read the intact file of ${clip}`);
        totals.intact++;
        if (whole.truncated) flagged++;
        worstGap = Math.max(worstGap, whole.declaredS - whole.readableS);
        const bytes = await readFile(intact);
        for (const p of CUTS) {
          const cut = `${intact}.${p}`;
          await writeFile(cut, bytes.subarray(0, Math.floor((bytes.length * p) / 100)));
          const r = await judge(cut);
          totals.cut++;
          if (r.kind === "probe-failed") failed++;
          else if (r.truncated) found++;
          else {
            missed++;
            worstMissed = Math.max(worstMissed, whole.avEndS - r.avEndS);
          }
          await rm(cut);
        }
      }
      totals.intactFlagged += flagged;
      totals.found += found;
      totals.probeFailed += failed;
      totals.missed += missed;
      const n = clips.length * CUTS.length;
      process.stdout.write(
        `${name.padEnd(36)}${`${flagged} of ${clips.length}`.padStart(14)}  ${worstGap.toFixed(3).padStart(15)} | ${`${found} of ${n}`.padStart(10)}  ${String(failed).padStart(11)}  ${String(missed).padStart(6)} (${worstMissed.toFixed(2)})\n`,
      );
    }
    process.stdout.write(
      `\nintact files flagged: ${totals.intactFlagged} of ${totals.intact}; cut files: found ${totals.found}, ffprobe fails ${totals.probeFailed}, missed ${totals.missed} of ${totals.cut}\n`,
    );
    if (totals.intactFlagged > 0) process.exitCode = 1;
  } finally {
    if (keep) process.stdout.write(`kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
