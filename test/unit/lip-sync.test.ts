import { describe, expect, it } from "vitest";
import { judgeLipSync, LIP_SYNC, lipOpening, syllableOpenings } from "../../src/core/lip-sync.ts";
import { parseAudioStartOffset } from "../../src/adapters/tools/ffmpeg.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";
import { lipSyncOf } from "../../src/runtime/execute.ts";
import { formatSummary, type RunSummary } from "../../src/runtime/summary.ts";

const FPS = 25;
/** Frames every 40 ms over `seconds`, with the opening `f(t)` (NaN: no face). */
function frames(seconds: number, f: (t: number) => number) {
  const n = Math.round(seconds * FPS);
  const timestampS = Float64Array.from({ length: n }, (_, i) => i / FPS);
  return { timestampS, opening: Float64Array.from(timestampS, f) };
}
/** Syllables every 250 ms from 0.5 s: the lips open 80 ms before each one and are closed between. */
const NUCLEI = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75];
const talking = (t: number) => (NUCLEI.some((n) => Math.abs(t - (n - 0.08)) < 0.03) ? 1.4 : 0.1);

describe("lip check", () => {
  it("reads lips that open for each syllable as moving", () => {
    const openings = syllableOpenings(NUCLEI, frames(2.5, talking));
    expect(openings.every((o) => o !== undefined && o >= 1.2)).toBe(true);
    expect(judgeLipSync(openings)).toEqual({ verdict: "moving", syllables: 6, seen: 6, opened: 6 });
  });

  it("reads still lips (open or closed) as still, once enough syllables were seen", () => {
    for (const level of [0, 2.3]) {
      const openings = syllableOpenings(NUCLEI, frames(2.5, (t) => level + 0.1 * Math.sin(t * 50)));
      expect(judgeLipSync(openings)).toEqual({ verdict: "still", syllables: 6, seen: 6, opened: 0 });
    }
    // Three syllables are too few to say so.
    expect(judgeLipSync(syllableOpenings(NUCLEI.slice(0, 3), frames(2.5, () => 0))).verdict).toBe("unclear");
  });

  it("measures the opening just before the nucleus, not long before or after it", () => {
    // Syllables every 500 ms, the lips opening 200 ms after each: outside every window.
    const slow = [0.5, 1.0, 1.5, 2.0];
    const late = (t: number) => (slow.some((n) => Math.abs(t - (n + 0.2)) < 0.03) ? 1.4 : 0.1);
    expect(judgeLipSync(syllableOpenings(slow, frames(2.5, late))).verdict).toBe("still");
    const early = (t: number) => (slow.some((n) => Math.abs(t - (n - 0.08)) < 0.03) ? 1.4 : 0.1);
    expect(judgeLipSync(syllableOpenings(slow, frames(2.5, early))).verdict).toBe("moving");
    // An opening exactly `leadS` before the nucleus counts; one frame earlier does not.
    const onGrid = [0.52, 1.04, 1.52, 2.04]; // each 0.12 s after a frame
    const at = (before: number) => (t: number) => (onGrid.some((n) => Math.abs(t - (n - before)) < 0.005) ? 1.4 : 0.1);
    expect(judgeLipSync(syllableOpenings(onGrid, frames(2.5, at(LIP_SYNC.leadS)))).opened).toBe(4);
    expect(judgeLipSync(syllableOpenings(onGrid, frames(2.5, at(LIP_SYNC.leadS + 0.04)))).opened).toBe(0);
  });

  it("opens by the step or not at all: half an intensity step counts, less does not", () => {
    const by = (rise: number) => (t: number) => (NUCLEI.some((n) => Math.abs(t - (n - 0.08)) < 0.03) ? 0.2 + rise : 0.2);
    expect(judgeLipSync(syllableOpenings(NUCLEI, frames(2.5, by(LIP_SYNC.openStep)))).opened).toBe(6);
    expect(judgeLipSync(syllableOpenings(NUCLEI, frames(2.5, by(LIP_SYNC.openStep - 0.02)))).opened).toBe(0);
  });

  it("says not-seen when no syllable falls on a frame with the face, and counts only the seen ones", () => {
    const away = frames(2.5, () => Number.NaN);
    expect(judgeLipSync(syllableOpenings(NUCLEI, away))).toEqual({ verdict: "not-seen", syllables: 6, seen: 0, opened: 0 });
    // The face leaves after 1.1 s: the three syllables before are seen and the lips open for them.
    const leaves = frames(2.5, (t) => (t > 1.1 ? Number.NaN : talking(t)));
    expect(judgeLipSync(syllableOpenings(NUCLEI, leaves))).toEqual({ verdict: "moving", syllables: 6, seen: 3, opened: 3 });
    // A voice after the video's end is not seen either.
    expect(judgeLipSync(syllableOpenings([3.5, 3.75], frames(2.5, talking))).verdict).toBe("not-seen");
  });

  it("says still only when the face was seen for at least half of the voice's syllables", () => {
    // 8 syllables; the still face is seen for the first 4 only (the shot then shows someone else).
    const many = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25];
    expect(judgeLipSync(syllableOpenings(many, frames(3, (t) => (t > 1.3 ? Number.NaN : 0.2))))).toEqual({ verdict: "still", syllables: 8, seen: 4, opened: 0 });
    expect(judgeLipSync(syllableOpenings([...many, 2.5], frames(3, (t) => (t > 1.3 ? Number.NaN : 0.2))))).toEqual({ verdict: "unclear", syllables: 9, seen: 4, opened: 0 });
  });

  it("leaves a syllable unseen when its opening window holds fewer than two frames (sparse rows)", () => {
    // Rows every 200 ms (5 a second, or an adaptive-rate CSV away from the peaks): an opening between two
    // rows is missed, so still lips are not claimed.
    const sparse = (f: (t: number) => number) => {
      const timestampS = Float64Array.from({ length: 15 }, (_, i) => i * 0.2);
      return { timestampS, opening: Float64Array.from(timestampS, f) };
    };
    expect(judgeLipSync(syllableOpenings(NUCLEI, sparse(() => 0.2))).verdict).toBe("not-seen");
    // At 12.5 rows a second the window holds two rows and the syllables count.
    const rows = (fps: number) => {
      const timestampS = Float64Array.from({ length: Math.round(2.5 * fps) }, (_, i) => i / fps);
      return { timestampS, opening: Float64Array.from(timestampS, () => 0.2) };
    };
    expect(judgeLipSync(syllableOpenings(NUCLEI, rows(12.5)))).toMatchObject({ verdict: "still", seen: 6 });
  });

  it("calls lips that open for fewer than half the syllables unclear", () => {
    const some = (t: number) => (Math.abs(t - 0.42) < 0.03 ? 1.4 : 0.1);
    expect(judgeLipSync(syllableOpenings(NUCLEI, frames(2.5, some)))).toEqual({ verdict: "unclear", syllables: 6, seen: 6, opened: 1 });
  });

  it("reads the larger of AU25 and AU26 on valid rows, and one of them when the file lacks the other", () => {
    const csv = (cols: string, rows: string[]) => parseOpenFaceCsv(`frame,face_id,timestamp,confidence,success,${cols}\n${rows.join("\n")}\n`);
    const both = lipOpening(csv("AU25_r,AU26_r", ["1,0,0.000,0.98,1,0.40,1.10", "2,0,0.040,0.98,0,0.00,0.00", "3,0,0.080,0.50,1,2.00,2.00", "4,0,0.120,0.98,1,0.90,0.20"]));
    expect(Array.from(both.opening)).toEqual([1.1, Number.NaN, Number.NaN, 0.9]);
    const only25 = lipOpening(csv("AU25_r", ["1,0,0.000,0.98,1,0.70"]));
    expect(Array.from(only25.opening)).toEqual([0.7]);
    // a row with a missing cell is malformed (not valid): no opening is read from it
    const missing = lipOpening(csv("AU25_r,AU26_r", ["1,0,0.000,0.98,1,,0.60"]));
    expect(Array.from(missing.opening)).toEqual([Number.NaN]);
  });
});

describe("audio start offset (ffprobe's stream start times)", () => {
  const json = (streams: unknown[]) => JSON.stringify({ streams });
  it("is the audio's start minus the picture's, leaving out a cover picture", () => {
    expect(parseAudioStartOffset(json([{ codec_type: "video", start_time: "0.000000" }, { codec_type: "audio", start_time: "0.976009" }]))).toBe(0.976);
    expect(parseAudioStartOffset(json([{ codec_type: "audio", start_time: "0.000000" }, { codec_type: "video", start_time: "0.100000" }]))).toBe(-0.1);
    const cover = { codec_type: "video", start_time: "5.000000", disposition: { attached_pic: 1 } };
    expect(parseAudioStartOffset(json([cover, { codec_type: "video", start_time: "0.040000" }, { codec_type: "audio", start_time: "0.040000" }]))).toBe(0);
  });
  it("is 0 when a stream or its time is missing, or the JSON is not ffprobe's", () => {
    expect(parseAudioStartOffset(json([{ codec_type: "audio", start_time: "0.5" }]))).toBe(0);
    expect(parseAudioStartOffset(json([{ codec_type: "video", start_time: "N/A" }, { codec_type: "audio", start_time: "0.5" }]))).toBe(0);
    expect(parseAudioStartOffset("not json")).toBe(0);
    expect(parseAudioStartOffset(JSON.stringify({ streams: "x" }))).toBe(0);
  });
});

describe("lip check in the run summary", () => {
  it("takes the verdict from a done audio-tone record and prints the counts, saying what still means", () => {
    const done = (output: unknown) => ({ "audio-tone": { status: "done", output } }) as never;
    expect(lipSyncOf(done({ description: "d", lipSync: { verdict: "still", syllables: 5, seen: 5, opened: 0 } }))).toBe("still");
    expect(lipSyncOf(done({ description: "d" }))).toBeUndefined(); // OpenFace CSV: not checked
    expect(lipSyncOf({ "audio-tone": { status: "skipped" } } as never)).toBeUndefined();
    const summary = (lipSync: Record<string, number>): RunSummary => ({
      total: 4, samples: { done: 4, filtered: 0, skipped: 0, failed: 0, pending: 0 }, stages: [], notDone: [],
      labels: { pseudo: {}, final: {} }, withoutPseudo: 0, transcriptsRejected: {}, lipSync, faceTools: {}, warnings: [],
    });
    expect(formatSummary(summary({ unclear: 1, still: 1, moving: 2 }))).toContain(
      "lip check: moving 2, still 1, unclear 1 (still: the lips did not move with the voice, which the captions do not give to the person)",
    );
    expect(formatSummary(summary({ moving: 4 }))).toMatch(/^lip check: moving 4$/m);
    expect(formatSummary(summary({}))).not.toContain("lip check");
  });
});
