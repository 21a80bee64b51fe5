import { spawnSync } from "node:child_process";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { MERR_BIN } from "../helpers/cli.ts";
import { tempDir } from "../helpers/temp.ts";

describe("bin/merr.js", () => {
  it("runs the compiled CLI from dist/", () => {
    expect(MERR_BIN).toBe(projectPath("bin", "merr.js"));
    const r = spawnSync(process.execPath, [MERR_BIN, "--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("without a build, says so and names the fix", async () => {
    const root = await tempDir("merr-nobuild-");
    await mkdir(path.join(root, "bin"));
    await copyFile(MERR_BIN, path.join(root, "bin", "merr.js"));
    const r = spawnSync(process.execPath, [path.join(root, "bin", "merr.js"), "--help"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/compiled CLI is missing.*npm run build/);
  });
});
