import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { runMerr, spawnMerr } from "../helpers/cli.ts";
import { expectEachStageRanOnce } from "../helpers/runs.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The six sample clips three times over, in a fresh folder. */
async function eighteenClips(prefix: string): Promise<{ root: string; input: string }> {
  const root = await tempOutDir(prefix);
  dirs.push(root);
  const input = path.join(root, "clips");
  await mkdir(input);
  for (const copy of ["a", "b", "c"]) {
    for (const f of ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]) {
      await copyFile(projectPath("data", "sample", `1001_DFA_${f}_XX.flv`), path.join(input, `${copy}_${f}.flv`));
    }
  }
  return { root, input };
}

const executions = async (out: string): Promise<Array<{ sample: string; stage: string; status: string }>> =>
  (await readFile(executionLogPath(out), "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("merr build (embedded Redis, in-process workers)", () => {
  it("merr --help works", async () => {
    const r = await runMerr(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("build");
    expect(r.stdout).toContain("worker");
    expect(r.stdout).toContain("dashboard");
  });

  it("a bad --source names the choices and exits non-zero", async () => {
    const r = await runMerr(["build", "--source", "nope", "--out", "/tmp/unused"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/sample, folder, manifest, mer2023-semi/);
  });

  it("checks the source before the backends, and an unreachable --redis leaves no folder behind", async () => {
    const root = await tempOutDir("merr-flags-");
    dirs.push(root);
    const noInput = await runMerr(["build", "--source", "folder", "--out", path.join(root, "a")]);
    expect(noInput.code).toBe(64);
    expect(noInput.stderr).toMatch(/--source folder needs --input <folder>/);
    expect(noInput.stderr).not.toMatch(/preflight passed/);
    const out = path.join(root, "b", "c", "d");
    const noRedis = await runMerr(["build", "--source", "sample", "--redis", "redis://127.0.0.1:1", "--out", out, "--log-level", "error"]);
    expect(noRedis.code).toBe(69);
    expect(noRedis.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1: [^;]*[^.]; check that redis-server runs there and the URL is right \(merr build without --redis starts a private one\)/);
    await expect(readFile(path.join(root, "b"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("survives kill -9: the rerun finishes every stage exactly once, none lost, none duplicated", async () => {
    // 18 clips: long enough to kill the build in the middle.
    const { root, input } = await eighteenClips("merr-kill-");
    const out = path.join(root, "out");
    const args = ["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--log-level", "warn"];
    const first = spawnMerr(args);
    for (let i = 0; i < 600 && (await executions(out)).length < 8; i++) await sleep(100);
    first.child.kill("SIGKILL");
    await first.exit;
    const before = await executions(out);
    expect(before.length).toBeGreaterThanOrEqual(8);
    expect(before.length).toBeLessThan(54);

    const second = await runMerr(args);
    expect(second.stderr).not.toMatch(/Error:/);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/samples: 18 \(18 done/);
    // None duplicated (the log), none lost (the records): a stage whose record the killed build committed
    // just before the kill may lack its log line (appended after the record), at most the jobs in flight
    // (media pipeline: 3 stages, one job per core each).
    await expectEachStageRanOnce(out, 18, 3, { inFlight: 3 * Math.max(2, os.availableParallelism()) });
  });

  it("--processes 2 adds a worker process that shares the work and stops with the build", async () => {
    const { root, input } = await eighteenClips("merr-procs-");
    const out = path.join(root, "out");
    const r = await runMerr(["build", "--pipeline", "media", "--source", "folder", "--input", input, "--out", out, "--processes", "2", "--log-level", "warn"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/samples: 18 \(18 done/);
    const pids = new Set((await readFile(executionLogPath(out), "utf8")).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { pid: number }).pid));
    expect(pids.size).toBe(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
