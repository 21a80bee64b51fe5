import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBuiltinExtractor, createFaceAnalyzer, type FaceAnalyzer } from "../../src/adapters/face/builtin/index.ts";
import { projectPath } from "../../src/core/paths.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

// Same clip, same Action Units: the built-in analyzer's output may depend on the clip and the options
// only, never on which clips the process analysed before, nor on how the work was spread out.
// This file runs in its own process (vitest isolates files), so the first extraction is a fresh one.

let analyzer: Promise<FaceAnalyzer>;
let root: string;
let clips: string;
const extractor = createBuiltinExtractor({ analyzer: () => analyzer });
const signal = new AbortController().signal;

async function extract(video: string, name: string): Promise<{ csv: string; sidecar: string }> {
  const csvPath = path.join(root, `${name}.csv`);
  const sidecarPath = path.join(root, `${name}.sidecar.json`);
  await extractor.extract(video, { csvPath, sidecarPath, signal });
  return { csv: await readFile(csvPath, "utf8"), sidecar: await readFile(sidecarPath, "utf8") };
}

beforeAll(async () => {
  analyzer = createFaceAnalyzer();
  root = await tempOutDir("merr-face-det-");
  clips = path.join(root, "clips");
  await mkdir(clips);
  await copyFile(projectPath("data/sample/1001_DFA_NEU_XX.flv"), path.join(clips, "A.flv"));
  await copyFile(projectPath("data/sample/1001_DFA_ANG_XX.flv"), path.join(clips, "B.flv"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("built-in face analysis is deterministic", () => {
  it("clip A alone, B then A in one process, merr au extract and a build with --processes 2 give byte-identical files", async () => {
    const a = path.join(clips, "A.flv");
    const alone = await extract(a, "alone");
    const b = await extract(path.join(clips, "B.flv"), "b");
    const again = await extract(a, "again");
    expect(b.csv).not.toBe(alone.csv); // the two clips really differ
    expect(again.csv).toBe(alone.csv);
    expect(again.sidecar).toBe(alone.sidecar);

    const cliCsv = path.join(root, "cli", "A.csv");
    const cli = await runMerr(["au", "extract", a, "-o", cliCsv]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(await readFile(cliCsv, "utf8")).toBe(alone.csv);
    expect(await readFile(path.join(root, "cli", "A.sidecar.json"), "utf8")).toBe(alone.sidecar);

    const out = path.join(root, "out");
    const build = await runMerr(["build", "--source", "folder", "--input", clips, "--out", out, "--processes", "2", "--log-level", "warn"]);
    expect(build.code, build.stderr).not.toBe(1);
    expect(await readFile(path.join(out, "samples", "A", "au.csv"), "utf8")).toBe(alone.csv);
    expect(await readFile(path.join(out, "samples", "A", "au.sidecar.json"), "utf8")).toBe(alone.sidecar);
    expect(await readFile(path.join(out, "samples", "B", "au.csv"), "utf8")).toBe(b.csv);
  });

  it("also through shot cuts, identity descriptors and the region around a small face", async () => {
    // The neutral clip small in a 960x540 frame (the face region), cut to colour bars and back (two cuts, a
    // new track and its descriptor after each), analysed alone, after another clip, and once more.
    const video = path.join(root, "cuts-small.mp4");
    execFileSync("ffmpeg", ["-v", "error", "-y", "-i", projectPath("data/sample/1001_DFA_NEU_XX.flv"), "-f", "lavfi", "-i", "smptebars=size=960x540:rate=10:duration=0.4",
      "-filter_complex", "[0:v]fps=10,scale=200:-2,pad=960:540:380:200,format=yuv420p,setsar=1,split[a][b];[a]trim=end=0.8,setpts=PTS-STARTPTS[s1];" +
        "[b]trim=start=0.8,setpts=PTS-STARTPTS[s3];[1:v]format=yuv420p,setsar=1[s2];[s1][s2][s3]concat=n=3:v=1:a=0[v]",
      "-map", "[v]", "-pix_fmt", "yuv420p", video]);
    const alone = await extract(video, "cuts-alone");
    await extract(path.join(clips, "B.flv"), "b-between");
    const again = await extract(video, "cuts-again");
    expect(again.csv).toBe(alone.csv);
    expect(again.sidecar).toBe(alone.sidecar);
    const sidecar = JSON.parse(alone.sidecar) as { subject: { cuts: number; identities: number }; frames: Array<{ face: { scale: number } | null }> };
    expect(sidecar.subject).toMatchObject({ cuts: 2, identities: 1 });
    expect(sidecar.frames.some((f) => (f.face?.scale ?? 0) > 2)).toBe(true); // the region, beyond the frame's 2x
  });
});
