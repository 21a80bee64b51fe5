import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFaceSidecar } from "../../src/adapters/face/index.ts";
import type { Sample } from "../../src/core/types.ts";
import { runStage } from "../../src/runtime/run-stage.ts";
import { fine } from "../../src/stages/fine.ts";
import { tempOutDir, testContext } from "../helpers/stage-context.ts";
import { auOutput, EXPR, writeSidecar } from "./fine-fixtures.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempOutDir("merr-sidecar-");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadFaceSidecar", () => {
  it("is undefined without a sidecar (no path, no file)", async () => {
    expect(await loadFaceSidecar(undefined)).toBeUndefined();
    expect(await loadFaceSidecar(path.join(dir, "none.json"))).toBeUndefined();
  });

  it("reads a valid sidecar with its subject and calibration", async () => {
    const file = await writeSidecar(dir, EXPR.neutral);
    const raw = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    const subject = { coverage: 0.9, tracks: 2, otherFaceOnlyFrames: 1 };
    const calibration = { id: "c", version: 1, baselines: { AU12: { method: "clip", offset: 0.1 } } };
    await writeFile(file, JSON.stringify({ ...raw, subject, calibration }));
    const sidecar = await loadFaceSidecar(file);
    expect(sidecar).toMatchObject({ schema: "merr.face-sidecar/1", subject, calibration, framesWithFace: 10 });
  });

  it("names the file and the fix when it is not JSON or not a sidecar (E_SIDECAR_INVALID)", async () => {
    const file = path.join(dir, "au.sidecar.json");
    await writeFile(file, '{"schema": "merr.face-sidecar/1", ');
    await expect(loadFaceSidecar(file)).rejects.toMatchObject({ code: "E_SIDECAR_INVALID", retryable: false });
    await expect(loadFaceSidecar(file)).rejects.toThrow(`${file}: not a face sidecar: not valid JSON`);
    await writeFile(file, JSON.stringify({ schema: "merr.face-sidecar/0", frames: [] }));
    await expect(loadFaceSidecar(file)).rejects.toThrow(/E_SIDECAR_INVALID.*not a face sidecar \(merr\.face-sidecar\/1\): schema: .*delete .*stages\/au-extract\.json .*build again/);
  });
});

describe("fine with a broken sidecar", () => {
  it("fails with E_SIDECAR_INVALID naming the file, not a bare SyntaxError", async () => {
    const file = path.join(dir, "broken.sidecar.json");
    await writeFile(file, "nope");
    const sample: Sample = { id: "f1", path: "/clips/f1.flv", source: "folder" };
    const { ctx } = await testContext({ outDir: dir, sample, stage: "fine" });
    const deps = {
      "au-analyze": auOutput("sad", ["AU01", "AU04", "AU15"], ["Inner brow raiser"]),
      "au-extract": { csvPath: "/x.csv", sidecarPath: file, extractor: "builtin", frames: 10, framesWithFace: 10, coverage: 1 },
    };
    await expect(runStage(fine, { sample, deps }, ctx)).rejects.toThrow(new RegExp(`^\\[E_SIDECAR_INVALID\\] .*broken\\.sidecar\\.json`));
  });
});
