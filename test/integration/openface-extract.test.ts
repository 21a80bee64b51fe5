import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getExtractor } from "../../src/adapters/face/index.ts";
import { MerrError } from "../../src/core/errors.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { auExtract } from "../../src/stages/au-extract.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";

const FIXTURE = new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url).pathname;
const CLIP = new URL("../../data/sample/1001_DFA_HAP_XX.flv", import.meta.url).pathname;

let dir: string;
let clip: string;

/**
 * A stand-in for OpenFace's FeatureExtraction: records its argv (and DISPLAY), then behaves like OpenFace
 * by writing `<out_dir>/<stem of -f>.csv` (a real OpenFace CSV), or fails as told.
 */
async function standIn(name: string, behaviour: "ok" | "fail" | "silent"): Promise<{ bin: string; log: string }> {
  const bin = path.join(dir, "bin", name);
  const log = path.join(dir, `${name}.argv`);
  await mkdir(path.dirname(bin), { recursive: true });
  const act = {
    ok: `cp '${FIXTURE}' "$out/$stem.csv"`,
    fail: `echo "Could not open the video file $video" >&2; exit 3`,
    silent: `echo "nothing to do"`,
  }[behaviour];
  await writeFile(
    bin,
    [
      "#!/bin/sh",
      `printf '%s\\n' "$@" > '${log}'`,
      `echo "DISPLAY=$DISPLAY" >> '${log}'`,
      'while [ $# -gt 0 ]; do case "$1" in -f) video="$2"; shift 2;; -out_dir) out="$2"; shift 2;; *) shift;; esac; done',
      'stem=$(basename "$video"); stem="${stem%.*}"',
      act,
      "",
    ].join("\n"),
  );
  await chmod(bin, 0o755);
  return { bin, log };
}

const argvOf = async (log: string) => (await readFile(log, "utf8")).trim().split("\n");

beforeAll(async () => {
  dir = await tempOutDir("merr-openface-");
  clip = path.join(dir, "clips", "sample_00000003.flv");
  await mkdir(path.dirname(clip), { recursive: true });
  await copyFile(CLIP, clip);
});

describe("OpenFace extractor (through a stand-in FeatureExtraction)", () => {
  it("passes the exact argv, and moves <out_dir>/<stem>.csv onto the requested path", async () => {
    const { bin, log } = await standIn("FeatureExtraction", "ok");
    const extractor = await getExtractor("openface", { openface: { bin } });
    const csvPath = path.join(dir, "out", "au.csv");
    const result = await extractor.extract(clip, { csvPath, sidecarPath: path.join(dir, "out", "au.sidecar.json"), signal: new AbortController().signal });
    const argv = await argvOf(log);
    expect(argv.slice(0, 3)).toEqual(["-f", clip, "-out_dir"]);
    expect(path.dirname(argv[3]!)).toBe(path.join(dir, "out"));
    expect(path.basename(argv[3]!)).toMatch(/^\.openface-/);
    expect(argv.slice(4)).toEqual(["-aus", "DISPLAY=" + (process.env.DISPLAY ?? "")]);
    expect(result).toMatchObject({ csvPath, frames: 224, framesWithFace: 224 });
    expect(result.sidecarPath).toBeUndefined();
    expect(await readFile(csvPath, "utf8")).toBe(await readFile(FIXTURE, "utf8"));
    // the temporary out_dir is gone; only the CSV is left
    expect(await readdir(path.join(dir, "out"))).toEqual(["au.csv"]);
  });

  it("adds -pose -gaze when asked, and runs under xvfb-run -a", async () => {
    const { bin, log } = await standIn("FeatureExtractionX", "ok");
    const extractor = await getExtractor("openface", { openface: { bin, xvfb: true } });
    const csvPath = path.join(dir, "out-x", "au.csv");
    await extractor.extract(clip, { csvPath, sidecarPath: "", poseGaze: true, signal: new AbortController().signal });
    const argv = await argvOf(log);
    expect(argv.slice(4, 7)).toEqual(["-aus", "-pose", "-gaze"]);
    expect(argv[7]).toMatch(/^DISPLAY=:\d+$/);
  });

  it("runs as the au-extract stage", async () => {
    const { bin, log } = await standIn("FeatureExtraction2", "ok");
    const sample: Sample = { id: "sample_00000003", path: clip, source: "folder" };
    const { ctx, provenance } = await testContext({ outDir: dir, sample, stage: "au-extract" });
    const probe = { durationS: 2.3, fps: 30, frameCount: 69, width: 480, height: 360, hasVideo: true, hasAudio: true, container: "flv", sizeBytes: 1 };
    const r = await runStage(auExtract, { sample, options: { extractor: "openface", openfaceBin: bin }, deps: { probe } }, ctx);
    expect(r).toMatchObject({ status: "done", output: { extractor: "openface", frames: 224, framesWithFace: 224, csvPath: path.join(dir, "samples", "sample_00000003", "au.csv") } });
    expect((await argvOf(log))[1]).toBe(clip);
    // The stage asks OpenFace for head pose and gaze by default: visual-describe describes them.
    expect((await argvOf(log)).slice(4, 7)).toEqual(["-aus", "-pose", "-gaze"]);
    expect(provenance).toMatchObject({ extractor: "openface", openfaceBin: bin });

    // without the option, the worker's setting (its OPENFACE_BIN) names the binary
    const viaSettings = await testContext({ outDir: dir, sample, stage: "au-extract", settings: { openfaceBin: bin } });
    const r2 = await runStage(auExtract, { sample, options: { extractor: "openface" }, deps: { probe } }, viaSettings.ctx);
    expect(r2).toMatchObject({ status: "done", output: { extractor: "openface", frames: 224 } });
    expect(viaSettings.provenance).toMatchObject({ openfaceBin: bin });
  });

  it("a missing binary names --openface-bin and OPENFACE_BIN", async () => {
    for (const bin of [path.join(dir, "nowhere", "FeatureExtraction"), "FeatureExtraction-not-installed"]) {
      const extractor = await getExtractor("openface", { openface: { bin } });
      const error = await extractor.extract(clip, { csvPath: path.join(dir, "m", "au.csv"), sidecarPath: "", signal: new AbortController().signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MerrError);
      expect((error as MerrError).code).toBe("E_TOOL_MISSING");
      expect((error as MerrError).message).toMatch(/--openface-bin PATH or the OPENFACE_BIN environment variable/);
    }
  });

  it("an OpenFace failure is E_TOOL_FAILED with its stderr; exiting without a CSV too", async () => {
    const failing = await standIn("FeatureExtractionFail", "fail");
    const e1 = await (await getExtractor("openface", { openface: { bin: failing.bin } }))
      .extract(clip, { csvPath: path.join(dir, "f", "au.csv"), sidecarPath: "", signal: new AbortController().signal })
      .then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as MerrError);
    expect(e1.code).toBe("E_TOOL_FAILED");
    expect(e1.message).toContain(`Could not open the video file ${clip}`);
    const silent = await standIn("FeatureExtractionSilent", "silent");
    const e2 = await (await getExtractor("openface", { openface: { bin: silent.bin } }))
      .extract(clip, { csvPath: path.join(dir, "s", "au.csv"), sidecarPath: "", signal: new AbortController().signal })
      .then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as MerrError);
    expect(e2.code).toBe("E_TOOL_FAILED");
    expect(e2.message).toMatch(/exited without writing sample_00000003\.csv: nothing to do/);
  });
});
