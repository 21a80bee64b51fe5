import { copyFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sample } from "../../src/core/types.ts";
import { projectPath } from "../../src/core/paths.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { describeVisualClues, gazeWords, poseGazeClues, type VisualClues } from "../../src/core/visual-description.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";
import { parseVisualAnswer, pickExtraFrames, visualDescribe } from "../../src/stages/visual-describe.ts";
import { startProtocolServer, type ProtocolServer, type ScriptedResponse } from "../conformance/protocol-server.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";
import { EXPR, writeSidecar } from "./fine-fixtures.ts";

const sample: Sample = { id: "v1", path: "/clips/v1.flv", source: "folder" };
let outDir: string;
let image: string;
beforeAll(async () => {
  outDir = await tempOutDir("merr-visual-");
  image = path.join(outDir, "peak.png");
  await copyFile(projectPath("test/fixtures/images/astronaut.png"), image);
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

const extract = (sidecarPath?: string, csvPath = "/x.csv") => ({ csvPath, ...(sidecarPath ? { sidecarPath } : {}), extractor: sidecarPath ? "builtin" : "openface", frames: 10, framesWithFace: 10, coverage: 1 });
/** A model backend's deps: the peak frame and an OpenFace-style au-extract. */
const peakDeps = () => ({ "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract() });
const peakDep = { imagePath: "", frameIndex: 3, timeS: 0.3, method: "frame-number" };

/**
 * An OpenFace 2.x CSV of 10 frames at 10 fps. At frame 4 (the peak, index 3) the head is pitched down
 * 20 degrees (OpenFace: pose_Rx > 0 = down) and the eyes look away (frames 3-6); the head turns side to side over the clip.
 */
async function writeOpenFaceCsv(columns: { pose: boolean; gaze: boolean }): Promise<string> {
  const header = ["frame", "face_id", "timestamp", "confidence", "success"];
  if (columns.gaze) header.push("gaze_angle_x", "gaze_angle_y");
  if (columns.pose) header.push("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz");
  header.push("AU12_r", "AU12_c");
  const rows = Array.from({ length: 10 }, (_, i) => {
    const peak = i === 3;
    const cells = [i + 1, 0, (i / 10).toFixed(3), 0.98, 1];
    const away = i >= 2 && i <= 5; // a look away held for 0.4 s around the peak
    if (columns.gaze) cells.push(away ? 0.4 : 0.02, away ? 0.3 : 0.01);
    if (columns.pose) cells.push(10, 5, 600, peak ? 0.35 : 0.02, i % 2 ? 0.3 : -0.3, 0);
    cells.push(1.5, 1);
    return cells.join(",");
  });
  const file = path.join(outDir, `openface-${columns.pose}-${columns.gaze}.csv`);
  await writeFile(file, `${[header.join(","), ...rows].join("\n")}\n`);
  return file;
}

async function run(options: Record<string, unknown>, deps: Record<string, unknown>, settings?: Record<string, unknown>) {
  const { ctx } = await testContext({ outDir, sample, stage: "visual-describe", ...(settings ? { settings } : {}) });
  return runStage(visualDescribe, { sample, options, deps }, ctx);
}

describe("visual-describe (builtin)", () => {
  it("describes framing, pose, gaze and light in plain words and never claims scene or clothing", async () => {
    const sidecar = await writeSidecar(outDir, EXPR.neutral, { yaw: 0.5, brightness: 50 });
    const r = await run({}, { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract(sidecar) });
    const out = (r as { output: { objective: string; description: string; subject: string } }).output;
    expect(out.subject).toBe("person");
    expect(out.objective).toBe("shown in a close-up in the centre of the frame, facing the camera with the head turned to the side, looking toward the camera, in dim light");
    expect(out.description).toContain("One face is tracked in 10 of 10 analysed frames");
    expect(out.description).toContain("neutral 75%");
    expect(out.description).toMatch(/scene, objects, clothing and hands are not described/);
    expect(out.objective).not.toMatch(/room|shirt|table|hand/);
    // Mid-range brightness is a level, not a claim that the light is even.
    const lit = await writeSidecar(outDir, EXPR.neutral, { yaw: 0, brightness: 120 });
    const mid = await run({}, { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract(lit) });
    expect((mid as { output: { objective: string } }).output.objective).toMatch(/, in moderate light$/);
    // A head turned 40 degrees does not face the camera.
    const turned = await writeSidecar(outDir, EXPR.neutral, { yaw: 0.7, brightness: 120 });
    const away = await run({}, { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract(turned) });
    const phrase = (away as { output: { objective: string } }).output.objective;
    expect(phrase).toMatch(/^shown in a close-up in the centre of the frame, turned well away from the camera(,| with)/);
    expect(phrase).not.toContain("facing");
  });

  it("says each head pose once, in one list, and a gaze toward the camera from a head turned away with 'but'", () => {
    const clues: VisualClues = {
      faceFrames: 10, analysedFrames: 10, faceHeightShare: 0.5, framing: "close-up", position: "centre",
      headPose: { pitch: 15, yaw: 20, roll: 13 }, gaze: "away from the camera", movement: { yawRange: 2, pitchRange: 2 }, light: "moderate", expressions: [],
    };
    expect(describeVisualClues(clues).objective).toBe(
      "shown in a close-up in the centre of the frame, facing the camera with the head turned to the side and tilted, the chin raised, looking away from the camera, in moderate light",
    );
    expect(describeVisualClues({ ...clues, headPose: { pitch: -15, yaw: 0, roll: 13 } }).objective).toContain("facing the camera with the head lowered and tilted, looking away");
    expect(describeVisualClues({ ...clues, headPose: { pitch: 0, yaw: 40, roll: 0 }, gaze: "toward the camera" }).objective).toContain(
      "turned well away from the camera, but looking toward the camera,",
    );
  });

  it("with OpenFace (no sidecar), describes the head pose and gaze its CSV measured at the peak frame", async () => {
    const csv = await writeOpenFaceCsv({ pose: true, gaze: true });
    const r = await run({}, { "peak-frame": { ...peakDep, imagePath: image }, "au-extract": extract(undefined, csv) });
    const out = (r as { status: string; output: { objective: string; description: string; clues: Record<string, unknown> } }).output;
    expect(r.status).toBe("done");
    // pose_Rx 0.35 rad > 0 is OpenFace's "head down": lowered, not raised; the gaze at the peak is 0.5 rad off.
    expect(out.objective).toBe("facing the camera with the head turned to the side and lowered, looking away from the camera");
    expect(out.description).toBe(
      "OpenFace tracks the face in 10 of 10 frames; at the most expressive frame the person is facing the camera with the head turned to the side and lowered, looking away from the camera and turns the head from side to side during the clip. " +
        "Only head pose and gaze were measured: framing, light, the scene, objects, clothing and hands are not described.",
    );
    expect(out.clues).toMatchObject({ frame: 4, headPose: { pitch: -20, yaw: 17, roll: 0 }, gaze: "away from the camera" });
    expect(JSON.stringify(out)).not.toContain("in view of the camera");
  });

  it("describes gaze alone when the CSV has only gaze columns", async () => {
    const csv = await writeOpenFaceCsv({ pose: false, gaze: true });
    const r = await run({}, { "peak-frame": { ...peakDep, imagePath: image }, "au-extract": extract(undefined, csv) });
    expect(r).toMatchObject({ status: "done", output: { objective: "looking away from the camera" } });
    expect((r as { output: { description: string } }).output.description).toContain("Only gaze was measured");
  });

  it("skips with no-measurements when the CSV holds neither pose nor gaze (never canned text)", async () => {
    const csv = await writeOpenFaceCsv({ pose: false, gaze: false });
    const r = await run({}, { "peak-frame": { ...peakDep, imagePath: image }, "au-extract": extract(undefined, csv) });
    expect(r).toMatchObject({ status: "skipped", skip: { code: "no-measurements" } });
    expect((r as { skip: { message: string } }).skip.message).toContain(csv);
  });

  it("uses the valid row nearest in time when the peak row has no measurement, and gives up when no row has one", () => {
    const header = "frame,face_id,timestamp,confidence,success,pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz,AU12_r,AU12_c";
    const t = parseOpenFaceCsv([header, "1,0,0.0,0.98,1,0,0,500,-0.3,0,0,1,1", "2,0,0.1,0.2,0,0,0,0,0,0,0,0,0", "3,0,0.2,0.98,1,0,0,500,0,0,0,1,1"].join("\n"));
    expect(poseGazeClues(t, { frameIndex: 1, timeS: 0.08 })).toMatchObject({ frame: 1, headPose: { pitch: 17 } });
    const none = parseOpenFaceCsv([header, "1,0,0.0,0.1,0,0,0,0,0,0,0,0,0"].join("\n"));
    expect(poseGazeClues(none, { frameIndex: 0, timeS: 0 })).toBeUndefined();
  });

  it("names the sidecar file when it is not JSON or not a sidecar (E_SIDECAR_INVALID)", async () => {
    const bad = path.join(outDir, "bad.sidecar.json");
    await writeFile(bad, "{ not json");
    await expect(run({}, { "peak-frame": { ...peakDep, imagePath: image }, "au-extract": extract(bad) })).rejects.toThrow(
      new RegExp(`^\\[E_SIDECAR_INVALID\\] ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a face sidecar: not valid JSON`),
    );
  });
});

describe("visual-describe (image model)", () => {
  let server: ProtocolServer;
  const reply = (content: string) => ({ body: { model: "llava:13b", message: { role: "assistant", content }, done: true } });
  beforeAll(async () => {
    server = await startProtocolServer(() => reply("{}"));
  });
  afterAll(async () => server.close());
  const settingsFor = (backend: string) =>
    backend.startsWith("openai:")
      ? { models: { openai: { baseUrl: `${server.url}/v1`, retries: 0 } } }
      : backend.startsWith("gemini:")
        ? { models: { gemini: { baseUrl: server.url, apiKey: "test-key", retries: 0 } } }
        : { models: { ollama: { baseUrl: server.url, retries: 0 } } };
  /** Runs the stage with `backend` against the local server, which answers `response` once. */
  const ask = (backend: string, response: ScriptedResponse) => {
    server.reset();
    server.queue = [response];
    return run({ backend }, peakDeps(), settingsFor(backend));
  };

  it("sends the peak frame and reads subject, objective and description", async () => {
    const r = await ask("ollama:llava:13b", reply(JSON.stringify({ subject: "Woman", objective: "The person in the video is sitting at a desk, facing the camera.", description: "A woman sits at a desk in an office." })));
    expect(r).toMatchObject({ status: "done", output: { subject: "woman", objective: "sitting at a desk, facing the camera", promptId: "visual-describe/describe@1", backend: "ollama:llava:13b" } });
    const body = server.requests[0]!.json as { model: string; format: string; messages: Array<{ images?: string[] }> };
    expect(body.model).toBe("llava:13b");
    expect(body.format).toBe("json");
    expect(body.messages.at(-1)!.images).toHaveLength(1);
  });

  it("a refusal is the partial skip `refused`: the sample goes on without the visual clue", async () => {
    const r = await ask("ollama:llava:13b", reply("I'm sorry, but I can't help with identifying people in images."));
    expect(r).toMatchObject({ status: "skipped", skip: { code: "refused", message: expect.stringMatching(/^ollama:llava:13b refused to describe the frame: I'm sorry/) } });
    expect(visualDescribe.partialSkips).toContain("refused");
    // The same refusal in an OpenAI-compatible answer's refusal field.
    const field = await ask("openai:gpt-4o", { body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I'm sorry, but I can't help with identifying people." } }] } });
    expect(field).toMatchObject({ status: "skipped", skip: { code: "refused", message: expect.stringMatching(/^openai:gpt-4o refused to describe the frame: I'm sorry/) } });
    // The refusal field is a refusal whatever its words; so is a Gemini safety block.
    const policy = await ask("openai:gpt-4o", { body: { choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "This request violates our content policy." } }] } });
    expect(policy).toMatchObject({ status: "skipped", skip: { code: "refused", message: "openai:gpt-4o refused to describe the frame: This request violates our content policy." } });
    const blocked = await ask("gemini:gemini-1.5-flash", { body: { candidates: [{ finishReason: "IMAGE_SAFETY", index: 0 }] } });
    expect(blocked).toMatchObject({ status: "skipped", skip: { code: "refused", message: "gemini:gemini-1.5-flash refused to describe the frame: the answer was blocked (finishReason IMAGE_SAFETY)" } });
  });

  it("asks again for an answer in another language (the captions are English), then fails the try", async () => {
    const error = await ask("ollama:llava:13b", reply(JSON.stringify({ subject: "man", objective: "坐在灰色的墙前面，面对镜头", description: "一个男人坐在灰色的墙前面。" }))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "E_MODEL_OUTPUT_INVALID", retryable: true, message: expect.stringMatching(/ollama:llava:13b: the answer is not in English \(\d+ of its \d+ letters are not in the Latin script\)/) });
  });

  it("parses and bounds answers; spreads extra frames away from the peak", () => {
    expect(() => parseVisualAnswer('{"subject":"man"}', "m")).toThrow(/E_MODEL_OUTPUT_INVALID.*"objective"/);
    expect(parseVisualAnswer('{"subject":"robot","objective":"x","description":"y"}', "m").subject).toBe("person");
    const frames = Array.from({ length: 9 }, (_, i) => ({ timeS: i, path: `f${i}` }));
    expect(pickExtraFrames(frames, 4, 2)).toEqual(["f2", "f7"]);
    expect(pickExtraFrames(frames, 4, 0)).toEqual([]);
  });
});

describe("gaze words", () => {
  const track = (xs: number[], fps = 10) => xs.map((x, i) => ({ t: i / fps, x, y: 0 }));

  it("judges the median gaze over a quarter second either side of the peak", () => {
    expect(gazeWords(track([0, 0, 0.5, 0.5, 0.5, 0.5, 0]), 0.3)).toBe("away from the camera");
    // A one-frame glance at the peak is not a look away.
    expect(gazeWords(track([0, 0, 0, 0.5, 0, 0, 0]), 0.3)).toBe("toward the camera");
  });

  it("states no direction between 0.2 and 0.35 rad, where the measurement cannot tell", () => {
    expect(gazeWords(track([0.25, 0.25, 0.25, 0.25]), 0.1)).toBeUndefined();
    expect(gazeWords(track([0.19, 0.19, 0.19]), 0.1)).toBe("toward the camera");
    expect(gazeWords([{ t: 0, x: 0.3, y: -0.2 }], 0)).toBe("away from the camera");
  });

  it("uses the nearest measured frame when none is near the peak, and nothing when none is measured", () => {
    expect(gazeWords([{ t: 2, x: 0.5, y: 0 }, { t: 3, x: 0, y: 0 }], 0)).toBe("away from the camera");
    expect(gazeWords([{ t: 0, x: Number.NaN, y: 0 }], 0)).toBeUndefined();
  });
});
