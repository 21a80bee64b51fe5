import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { ffprobe } from "../../src/adapters/tools/ffmpeg.ts";
import { projectPath } from "../../src/core/paths.ts";
import { checkExportDir } from "../../src/export/check.ts";
import { encodeNpyFloat32 } from "../../src/export/npy.ts";
import { runExport, type ExportReport } from "../../src/export/run-export.ts";
import { EMOTION_INSTRUCTION, REASON_INSTRUCTIONS, type ShareGptRecord } from "../../src/export/sharegpt.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const clip = (code: string): string => projectPath("data/sample", `1001_DFA_${code}_XX.flv`);

let run: string;
let out: string;
let report: ExportReport;

beforeAll(async () => {
  run = await tempOutDir();
  const mp4 = path.join(run, "given.mp4");
  await writeFile(mp4, await readFile(clip("SAD"))); // an .mp4 name is enough for auto -> symlink
  await writeFakeRun(run, [
    { id: "a_hap", sample: { path: clip("HAP"), label: "HAP" }, stages: completeStages({ label: "happy", text: "Don't forget, a \"jacket\"\nplease", wavPath: path.join(run, "samples", "a_hap", "audio.wav") }) },
    {
      id: "b_sad",
      sample: { path: mp4 },
      stages: {
        ...completeStages({ label: "sad", wavPath: "/audio/b_sad.wav" }),
        "audio-tone": { output: { description: "speaks in a quiet voice.", lipSync: { verdict: "still", syllables: 5, seen: 5, opened: 0 } } },
      },
    },
    { id: "c_gone", sample: { path: path.join(run, "missing.flv") }, stages: completeStages({ label: "fear" }) },
    { id: "d_dis", sample: { path: clip("DIS") }, stages: completeStages({ label: "disgust" }) },
    { id: "e_fail", status: "failed", reasons: [{ stage: "fine", code: "E_MODEL_REJECTED", message: "no" }], stages: {} },
    // an audio-only file: probe skipped it as no-video; its rows go without a video, which it does not lack
    {
      id: "f_audio", status: "skipped", sample: { path: clip("NEU") },
      reasons: [{ stage: "probe", code: "no-video", message: "no video stream" }], stages: { probe: { skip: { code: "no-video", message: "no video stream" } } },
    },
  ]);
  await mkdir(path.join(run, "samples", "a_hap", "features"), { recursive: true });
  await writeFile(path.join(run, "samples", "a_hap", "audio.wav"), "RIFF");
  await writeFile(path.join(run, "samples", "a_hap", "features", "HL-UTT.npy"), encodeNpyFloat32(new Float32Array(1024).fill(1)));
  await writeFile(path.join(run, "samples", "b_sad", "hubert.npy"), encodeNpyFloat32(new Float32Array(5 * 1024), [5, 1024]));
  const stageFile = path.join(run, "samples", "b_sad", "stages", "extract-audio.json");
  const rec = JSON.parse(await readFile(stageFile, "utf8"));
  rec.output.hubertNpy = path.join(run, "samples", "b_sad", "hubert.npy"); // a stage naming a (wrong-shaped) feature file
  await writeFile(stageFile, JSON.stringify(rec));
  out = await tempOutDir();
  report = await runExport({ runDir: run, outDir: out, formats: ["emotion-llama", "sharegpt", "jsonl", "csv"], videos: "auto" });
});

describe("export of a fake run in every format", () => {
  it("reports what it wrote and every exclusion by reason", () => {
    expect(report).toMatchObject({ samples: 6, kept: 5, coarse: 2, fine: 2 });
    expect(report.excluded.samples).toEqual({ "failed:fine/E_MODEL_REJECTED": 1 });
    expect(report.excluded.videos).toEqual({ "video-missing": 1 });
    expect(report.labels.dropped).toEqual({ disgust: 2 });
    // d_dis has no MERR label but is kept in the JSONL and CSV, which reference its video too
    expect(report.videos).toEqual({ transcode: 2, symlink: 1, "video-missing": 1, "no-video-stream": 1 });
    expect(report.audios).toEqual({ copy: 1, "audio-missing": 3 });
    expect(report.features?.find((f) => f.folder === "HL-UTT")).toMatchObject({ present: 1, invalid: 1, missing: 0 });
  });

  it("writes a trainer directory that passes the loader-contract check once missing features are allowed, but for the samples without their media", async () => {
    expect((await checkExportDir(out)).violations.map((v) => v.kind)).toEqual([...Array(5).fill("npy-missing"), ...Array(4).fill("media-missing")]);
    const r = await checkExportDir(out, { allowMissingFeatures: true });
    // b_sad's and d_dis's WAVs and c_gone's clip and WAV are gone: JSONL, CSV and ShareGPT list them without
    expect(r.violations.map((v) => [v.kind, v.file, v.message.split(" (")[0]])).toEqual([
      ["media-missing", "sharegpt/merr_sharegpt.json", "b_sad: exported without its audio"],
      ["media-missing", "merr.jsonl", "c_gone: exported without its audio"],
      ["media-missing", "merr.jsonl", "c_gone: exported without its video"],
      ["media-missing", "merr.jsonl", "d_dis: exported without its audio"],
    ]);
    expect(report.missingMedia.find((m) => m.name === "b_sad")).toMatchObject({
      media: "audio", reason: "audio-missing", in: ["sharegpt/merr_sharegpt.json", "merr.jsonl", "merr.csv"],
      fix: `run merr build on ${run} again with the same options (it makes the missing audio.wav again; for a run built before merr listed a sample's files, delete ${path.join(run, "samples", "b_sad")} first), then export again`,
    });
    expect(r.warnings.map((w) => w.file).sort()).toEqual(["HL-UTT/b_sad.npy", "maeV_399_UTT/a_hap.npy", "maeV_399_UTT/b_sad.npy", "mae_340_UTT/a_hap.npy", "mae_340_UTT/b_sad.npy"]);
    const manifest = JSON.parse(await readFile(path.join(out, "features-manifest.json"), "utf8"));
    expect(manifest.folders["HL-UTT"].invalidFiles[0].problem).toMatch(/shape \(5, 1024\).*per-frame/);
    expect(manifest.folders["mae_340_UTT"].missingNames).toEqual(["a_hap", "b_sad"]);
  });

  it("transcodes a non-mp4 clip to H.264 mp4 and symlinks an mp4 source", async () => {
    const probe = await ffprobe(path.join(out, "videos", "a_hap.mp4"));
    expect(JSON.stringify(probe)).toMatch(/h264/);
    expect((await lstat(path.join(out, "videos", "b_sad.mp4"))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(out, "videos", "b_sad.mp4"))).toBe(path.join(run, "given.mp4"));
    const again = await runExport({ runDir: run, outDir: out, formats: ["emotion-llama", "sharegpt", "jsonl", "csv"], videos: "auto" });
    expect(again.videos).toEqual({ unchanged: 3, "video-missing": 1, "no-video-stream": 1 });
    expect([again.removed, again.untracked]).toEqual([[], []]); // the same export again: nothing to remove
  });

  it("an Emotion-LLaMA export alone takes the videos and no audio (no file of it references one)", async () => {
    const only = await tempOutDir();
    const r = await runExport({ runDir: run, outDir: only, formats: ["emotion-llama"], videos: "auto" });
    expect(r.audios).toBeUndefined();
    expect(r.written.filter((f) => f.startsWith("audios/"))).toEqual([]);
    expect(existsSync(path.join(only, "audios"))).toBe(false);
    expect(r.written.filter((f) => f.startsWith("videos/")).sort()).toEqual(["videos/a_hap.mp4", "videos/b_sad.mp4"]);
  });

  it("writes transcripts pandas reads back unchanged (quotes, commas, newlines collapsed)", async () => {
    const rows = parseCsv(await readFile(path.join(out, "transcription_en_all.csv"), "utf8"), { columns: true }) as Array<{ name: string; sentence: string }>;
    expect(rows).toEqual([
      { name: "a_hap", sentence: 'Don\'t forget, a "jacket" please' },
      { name: "b_sad", sentence: "Don't forget a jacket." },
    ]);
  });

  it("writes ShareGPT records whose media tags match their media lists", async () => {
    const records = JSON.parse(await readFile(path.join(out, "sharegpt", "merr_sharegpt.json"), "utf8")) as ShareGptRecord[];
    expect(records.map((r) => r.id)).toEqual(["a_hap.emotion", "a_hap.reason", "a_hap.reason_v2", "b_sad.emotion", "b_sad.reason", "b_sad.reason_v2"]);
    for (const r of records) {
      const user = r.messages[0]!.content;
      expect(user.split("<video>").length - 1).toBe(r.videos.length);
      expect(user.split("<audio>").length - 1).toBe(r.audios.length);
      expect(user).toContain("\n");
      expect(user).not.toContain("\\n");
    }
    const [emotion, reason] = records;
    expect(emotion!.messages).toEqual([
      { role: "user", content: `<video><audio>\nThe person in video says: Don't forget, a "jacket" please.\n[emotion] ${EMOTION_INSTRUCTION}` },
      { role: "assistant", content: "happy" },
    ]);
    expect(emotion!.videos).toEqual(["videos/a_hap.mp4"]);
    expect(emotion!.audios).toEqual(["audios/a_hap.wav"]);
    expect(records[3]!.audios).toEqual([]); // b_sad's WAV does not exist: no audio, no <audio> tag
    expect(REASON_INSTRUCTIONS).toContain(reason!.messages[0]!.content.split("[reason] ")[1]);
    const info = JSON.parse(await readFile(path.join(out, "dataset_info.json"), "utf8"));
    expect(info.merr).toMatchObject({ file_name: "sharegpt/merr_sharegpt.json", formatting: "sharegpt", columns: { videos: "videos", audios: "audios" } });
  });

  it("writes one jsonl record per kept sample with every stage output and provenance", async () => {
    const lines = (await readFile(path.join(out, "merr.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name)).toEqual(["a_hap", "b_sad", "c_gone", "d_dis", "f_audio"]);
    expect(lines[4]).toMatchObject({ status: "skipped", video: null });
    const a = lines[0];
    expect(Object.keys(a.outputs).sort()).toEqual(["au-analyze", "audio-tone", "coarse", "extract-audio", "fine", "probe", "transcript"]);
    expect(a.provenance["au-analyze"]).toEqual({ tool: "au-analyze-tool" });
    expect([a.coarse_label, a.fine_label, a.sample.label]).toEqual(["happy", "happy", "HAP"]);
    expect([lines[3].coarse_label, lines[3].pseu_emotion]).toEqual([null, "disgust"]);
  });

  it("writes a CSV with one row per kept sample", async () => {
    const rows = parseCsv(await readFile(path.join(out, "merr.csv"), "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.name)).toEqual(["a_hap", "b_sad", "c_gone", "d_dis", "f_audio"]);
    expect(rows[4]).toMatchObject({ status: "skipped", path: "" });
    expect(rows[0]).toMatchObject({ given_label: "HAP", pseu_emotion: "happy", AU_list: "AU06;AU12", peak_index: "3", frame_count: "70" });
    expect(rows[0]!.text).toBe('Don\'t forget, a "jacket"\nplease');
    expect(rows.map((r) => r.lip_sync)).toEqual(["", "still", "", "", ""]); // empty: the lip check did not run
  });
});
