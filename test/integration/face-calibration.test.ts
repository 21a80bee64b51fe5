import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { tempDir } from "../helpers/temp.ts";

const run = promisify(execFile);

/** Runs scripts/calibrate-face.ts --check (no writes): exit 0 when calibration.ts is what the script computes. */
async function check(args: string[] = []): Promise<{ code: number; stderr: string }> {
  try {
    // tsx keeps a compile cache in the temp folder: give it one that is removed after this file.
    const env = { ...process.env, TMPDIR: await tempDir("merr-calibrate-") };
    const r = await run(process.execPath, ["--import", "tsx", projectPath("scripts/calibrate-face.ts"), "--check", ...args], { cwd: projectPath(), env });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: err.code ?? -1, stderr: err.stderr ?? "" };
  }
}

describe("the built-in AU calibration (src/adapters/face/builtin/calibration.ts)", () => {
  it("is exactly what scripts/calibrate-face.ts computes from its data, and the check notices other data", async () => {
    const same = await check();
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    // Fitted on another clip, the numbers differ: the check fails and says how to regenerate.
    const other = await check(["--clip", "data/sample/1001_DFA_HAP_XX.flv"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/calibration\.ts is out of date: run npm run calibrate:face/);
  });
});
