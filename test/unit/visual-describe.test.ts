import { copyFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sample } from "../../src/core/types.ts";
import { projectPath } from "../../src/core/paths.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { parseVisualAnswer, pickExtraFrames, visualDescribe } from "../../src/stages/visual-describe.ts";
import { startProtocolServer, type ProtocolServer } from "../conformance/protocol-server.ts";
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

const extract = (sidecarPath?: string) => ({ csvPath: "/x.csv", ...(sidecarPath ? { sidecarPath } : {}), extractor: "builtin", frames: 10, framesWithFace: 10, coverage: 1 });

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
  });

  it("says so when there are no face measurements", async () => {
    const r = await run({}, { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract() });
    expect(r).toMatchObject({ status: "done", output: { objective: "in view of the camera", clues: null } });
  });
});

describe("visual-describe (image model)", () => {
  let server: ProtocolServer;
  const reply = (content: string) => ({ body: { model: "llava:13b", message: { role: "assistant", content }, done: true } });
  beforeAll(async () => {
    server = await startProtocolServer(() => reply("{}"));
  });
  afterAll(async () => server.close());

  it("sends the peak frame and reads subject, objective and description", async () => {
    server.reset();
    server.queue = [reply(JSON.stringify({ subject: "Woman", objective: "The person in the video is sitting at a desk, facing the camera.", description: "A woman sits at a desk in an office." }))];
    const r = await run(
      { backend: "ollama:llava:13b" },
      { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract() },
      { models: { ollama: { baseUrl: server.url, retries: 0 } } },
    );
    expect(r).toMatchObject({ status: "done", output: { subject: "woman", objective: "sitting at a desk, facing the camera", promptId: "visual-describe/describe@1", backend: "ollama:llava:13b" } });
    const body = server.requests[0]!.json as { model: string; format: string; messages: Array<{ images?: string[] }> };
    expect(body.model).toBe("llava:13b");
    expect(body.format).toBe("json");
    expect(body.messages.at(-1)!.images).toHaveLength(1);
  });

  it("filters a refusal", async () => {
    server.reset();
    server.queue = [reply("I'm sorry, but I can't help with identifying people in images.")];
    const r = await run(
      { backend: "ollama:llava:13b" },
      { "peak-frame": { imagePath: image, frameIndex: 3, timeS: 0.3, method: "frame-number" }, "au-extract": extract() },
      { models: { ollama: { baseUrl: server.url, retries: 0 } } },
    );
    expect(r).toMatchObject({ status: "skipped", skip: { code: "filtered-out" } });
  });

  it("parses and bounds answers; spreads extra frames away from the peak", () => {
    expect(() => parseVisualAnswer('{"subject":"man"}', "m")).toThrow(/E_MODEL_OUTPUT_INVALID.*"objective"/);
    expect(parseVisualAnswer('{"subject":"robot","objective":"x","description":"y"}', "m").subject).toBe("person");
    const frames = Array.from({ length: 9 }, (_, i) => ({ timeS: i, path: `f${i}` }));
    expect(pickExtraFrames(frames, 4, 2)).toEqual(["f2", "f7"]);
    expect(pickExtraFrames(frames, 4, 0)).toEqual([]);
  });
});
