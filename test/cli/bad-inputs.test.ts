import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SampleRecord } from "../../src/core/records.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { makeClip } from "../helpers/media.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let root = "";
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("a folder of bad inputs", () => {
  it("gives every sample a clear status and reason, finishes the others and exits 2", async () => {
    root = await tempOutDir("merr-bad-");
    const input = path.join(root, "in");
    await mkdir(input);
    await writeFile(path.join(input, "empty.mp4"), "");
    await writeFile(path.join(input, "notes.mp4"), "this is a text file, not a video\n");
    const good = makeClip(path.join(root, "src", "good.mp4"), { seconds: 2 });
    const full = await readFile(good);
    await writeFile(path.join(input, "truncated.mp4"), full.subarray(0, Math.floor(full.length / 3)));
    // Index first (faststart): ffprobe reads the header of the whole clip, but the data stops half way.
    const indexFirst = path.join(root, "src", "index-first.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", good, "-c", "copy", "-movflags", "+faststart", indexFirst]);
    const whole = await readFile(indexFirst);
    await writeFile(path.join(input, "cut-short.mp4"), whole.subarray(0, Math.floor(whole.length / 2)));
    makeClip(path.join(input, "audio-only.mp4"), { video: false });
    makeClip(path.join(input, "silent.mp4"), { audio: false });
    // One frame (0.04 s): shorter than one sampling interval at 2 frames/s.
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", good, "-frames:v", "1", "-an", path.join(input, "one-frame.mp4")]);
    await copyFile(good, path.join(input, "été clip 1.mp4"));
    await mkdir(path.join(input, "a"));
    await mkdir(path.join(input, "b"));
    makeClip(path.join(input, "a", "same.mp4"));
    makeClip(path.join(input, "b", "same.mp4"));
    const out = path.join(root, "out");
    const r = await runMerr(["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--log-level", "silent"]);
    expect(r.code).toBe(2);
    const samples = JSON.parse(await readFile(path.join(out, "samples.json"), "utf8")) as Array<{ id: string; path: string }>;
    const ids = samples.map((s) => s.id);
    expect(ids).toHaveLength(10);
    expect(ids).toContain("ete_clip_1");
    expect(ids.filter((id) => id.startsWith("same_"))).toHaveLength(2);
    const rec = async (id: string): Promise<SampleRecord> => JSON.parse(await readFile(path.join(out, "samples", id, "sample.json"), "utf8"));
    const empty = await rec("empty");
    expect(empty.status).toBe("failed");
    expect(empty.reasons[0]).toMatchObject({ stage: "probe", code: "E_MEDIA_INVALID" });
    expect(empty.reasons[0]?.message).toMatch(/empty \(0 bytes\)/);
    // ffprobe's failures have their own code, and name the file and the fix.
    const notes = (await rec("notes")).reasons[0];
    expect(notes).toMatchObject({ stage: "probe", code: "E_PROBE_FAILED" });
    expect(notes?.message).toContain(`ffprobe cannot read ${path.join(input, "notes.mp4")}: `);
    expect(notes?.message).toMatch(/Invalid data found.*; check that it is a complete, playable video, not another kind of file/);
    expect(notes?.message).not.toMatch(/@ 0x/);
    const truncated = await rec("truncated");
    expect(truncated.status).toBe("failed");
    expect(truncated.reasons[0]).toMatchObject({ stage: "probe", code: "E_PROBE_FAILED" });
    expect(truncated.reasons[0]?.message).toContain(path.join(input, "truncated.mp4"));
    // A file whose header declares more than its data holds fails as cut short, with both durations and the fixes.
    const cutShort = await rec("cut-short");
    expect(cutShort.status).toBe("failed");
    expect(cutShort.reasons[0]).toMatchObject({ stage: "probe", code: "E_MEDIA_TRUNCATED" });
    const said = cutShort.reasons[0]?.message ?? "";
    expect(said).toContain(`${path.join(input, "cut-short.mp4")}: the file is cut short: its data ends at `);
    expect(said).toMatch(/ends at \d+(\.\d+)? s of the 2(\.\d+)? s its header declares \(\d+ % missing\)/);
    expect(said).toContain("fetch or copy it again, or, to build from the part that is there, rewrite it with its true length: ffmpeg -i ");
    // A permanent media error is tried once, not retried.
    const log = (await readFile(executionLogPath(out), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { sample: string; stage: string });
    expect(log.filter((e) => e.sample === "truncated" && e.stage === "probe")).toHaveLength(1);
    // The one-frame clip (no sound track) gives its single frame; it goes on without audio, noted.
    const oneFrame = await rec("one-frame");
    expect(oneFrame.stages["sample-frames"]).toBe("done");
    expect(oneFrame.status).toBe("done");
    expect(oneFrame.reasons).toEqual([]);
    expect(oneFrame.notes).toEqual([expect.objectContaining({ stage: "extract-audio", code: "no-audio" })]);
    const frames = JSON.parse(await readFile(path.join(out, "samples", "one-frame", "stages", "sample-frames.json"), "utf8"));
    expect(frames.output).toMatchObject({ count: 1, frames: [{ index: 0, timeS: 0 }] });
    const audioOnly = await rec("audio-only");
    expect(audioOnly.status).toBe("skipped");
    expect(audioOnly.reasons[0]).toMatchObject({ stage: "probe", code: "no-video" });
    const silent = await rec("silent");
    expect(silent.status).toBe("done");
    expect(silent.notes).toEqual([expect.objectContaining({ stage: "extract-audio", code: "no-audio" })]);
    expect(silent.stages["sample-frames"]).toBe("done");
    for (const id of ["ete_clip_1", ...ids.filter((i) => i.startsWith("same_"))]) expect((await rec(id)).status).toBe("done");
    expect(r.stdout).toMatch(/samples: 10 \(5 done, 0 filtered, 1 skipped, 4 failed\)/);
    expect(r.stdout).toMatch(/^ {2}of the done, 2 without some parts: extract-audio no-audio ×2 \((one-frame, silent|silent, one-frame)\)$/m);
    expect(r.stdout).not.toMatch(/^ {2}(silent|one-frame): /m);
    // Intact clips are not taken for cut short: their data ends where their header says.
    const probed = JSON.parse(await readFile(path.join(out, "samples", "ete_clip_1", "stages", "probe.json"), "utf8"));
    expect(Math.abs(probed.output.readableS - probed.output.durationS)).toBeLessThan(0.1);

    // The message's fix, followed: the clip rewritten with its true length is built from the part that is
    // there, and nothing else runs again.
    const fix = /ffmpeg -i '([^']+)' -c copy '([^']+)' && mv '([^']+)' '([^']+)'$/.exec(said);
    expect(fix?.slice(1)).toEqual([path.join(input, "cut-short.mp4"), expect.any(String), fix?.[2], path.join(input, "cut-short.mp4")]);
    execFileSync("ffmpeg", ["-v", "error", "-i", fix![1]!, "-c", "copy", fix![2]!]);
    await rename(fix![2]!, fix![1]!);
    // A sample.json written before merr told partial skips apart (the silent clip "skipped" for its missing
    // audio) is finalized again with the stage records as they are: no stage runs for it.
    const silentJson = path.join(out, "samples", "silent", "sample.json");
    const { notes: _notes, ...old } = silent;
    await writeFile(silentJson, JSON.stringify({ ...old, status: "skipped", reasons: silent.notes }));
    const before = (await readFile(executionLogPath(out), "utf8")).trim().split("\n").length;
    const again = await runMerr(["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--log-level", "silent"]);
    expect(again.code).toBe(2);
    // The four failed samples are tried again (the rewritten clip among them), and the plan line says so.
    expect(again.stderr).toMatch(/0 samples changed since the last build, 5 new or unfinished \(4 failed before: tried again\), 5 unchanged;/);
    expect((await rec("cut-short")).status).toBe("done");
    expect(await rec("silent")).toMatchObject({ status: "done", reasons: [], notes: [expect.objectContaining({ code: "no-audio" })] });
    const probe = JSON.parse(await readFile(path.join(out, "samples", "cut-short", "stages", "probe.json"), "utf8"));
    expect(probe.output.durationS).toBeLessThan(1.5);
    expect(Math.abs(probe.output.readableS - probe.output.durationS)).toBeLessThan(0.1);
    const rerun = (await readFile(executionLogPath(out), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { sample: string }).slice(before);
    // The rewritten clip runs its stages; besides it only the failed samples are tried again.
    for (const e of rerun) expect(["cut-short", "empty", "notes", "truncated"]).toContain(e.sample);
    expect(rerun.filter((e) => e.sample === "cut-short").length).toBeGreaterThan(1);
  });
});
