import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lockPath } from "../../src/runtime/run-lock.ts";
import { runMerr, spawnMerr } from "../helpers/cli.ts";
import { copySampleClips } from "../helpers/runs.ts";
import { tempDir } from "../helpers/temp.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sampleStatuses(out: string): Promise<string[]> {
  const ids = await readdir(path.join(out, "samples"));
  return Promise.all(ids.map(async (id) => JSON.parse(await readFile(path.join(out, "samples", id, "sample.json"), "utf8")).status as string));
}

describe("one build per output folder", () => {
  // Both orders of the report: a folder build then the sample build, and the other way round.
  for (const [firstName, secondName] of [["sample", "folder"], ["folder", "sample"]] as const) {
    it(`a second build (${secondName}) on a folder being built (${firstName}) refuses at once, and the first finishes every sample`, async () => {
      const root = await tempDir("merr-lock-");
      const clips = path.join(root, "clips");
      // Twelve clips, so the folder build outlasts the second build's start-up (two were done in under a second).
      await copySampleClips(clips, ["a", "b"]);
      const args = (name: string) => (name === "sample" ? ["--source", "sample"] : ["--source", "folder", "--input", clips]);
      // The second build must start while the first runs; if the machine was so fast that the first had
      // already finished, that attempt proves nothing and is made again in a fresh folder.
      let out = "";
      let first: ReturnType<typeof spawnMerr> | undefined;
      let second = { code: null as number | null, stdout: "", stderr: "" };
      for (let attempt = 0; attempt < 3; attempt++) {
        out = path.join(root, `run-${attempt}`);
        first = spawnMerr(["build", ...args(firstName), "--pipeline", "media", "--out", out]);
        while (!existsSync(lockPath(out))) {
          if (first.child.exitCode !== null) throw new Error(`first build ended early: ${first.stderr()}`);
          await sleep(20);
        }
        second = await runMerr(["build", ...args(secondName), "--pipeline", "media", "--out", out]);
        if (second.code === 75 || first.child.exitCode === null) break;
        await first.exit;
      }
      if (!first) throw new Error("no build started");
      expect(second.code).toBe(75);
      expect(second.stderr).toContain(`[E_RUN_LOCKED] ${out} is being built by pid ${first.child.pid}`);
      expect(first.child.exitCode).toBeNull(); // still running: the second build touched nothing
      expect(await first.exit).toBe(0);
      const n = firstName === "sample" ? 6 : 12;
      expect(first.stdout()).toContain(`samples: ${n} (${n} done`);
      expect(await sampleStatuses(out)).toEqual(Array(n).fill("done"));
      expect(existsSync(lockPath(out))).toBe(false);
      // merr status never takes the lock, and the folder can be built again.
      expect((await runMerr(["status", "--out", out])).code).toBe(0);
      expect((await runMerr(["build", ...args(firstName), "--pipeline", "media", "--out", out])).stdout).toContain(`0 enqueued, ${n} already done`);
    });
  }

  it("takes over the lock of a build that was killed", async () => {
    const out = path.join(await tempDir("merr-lock-"), "run");
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid; // a pid that no longer runs
    await mkdir(out, { recursive: true });
    await writeFile(lockPath(out), JSON.stringify({ pid: gone, host: os.hostname(), startedAt: "2026-01-01T00:00:00Z" }));
    const build = await runMerr(["build", "--source", "sample", "--pipeline", "media", "--limit", "1", "--out", out]);
    expect(build.code).toBe(0);
    expect(existsSync(lockPath(out))).toBe(false);
    // merr status of a run left "running" by a build that was killed says it was interrupted; while a
    // process on this machine holds the lock, it is running.
    const manifest = path.join(out, "run.json");
    await writeFile(manifest, JSON.stringify({ ...JSON.parse(await readFile(manifest, "utf8")), state: "running" }));
    await writeFile(lockPath(out), JSON.stringify({ pid: gone, host: os.hostname(), startedAt: "2026-01-01T00:00:00Z" }));
    const killed = await runMerr(["status", "--out", out]);
    expect(killed.stdout).toMatch(/^run r[0-9a-f]{8} \(media, source sample\) interrupted \(its build process is gone: merr build again on this --out finishes it\); build #1 started /);
    expect(JSON.parse((await runMerr(["status", "--out", out, "--json"])).stdout)).toMatchObject({ state: "interrupted", stateNote: expect.stringMatching(/^its build process is gone/) });
    await writeFile(lockPath(out), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: "2026-01-01T00:00:00Z" }));
    expect((await runMerr(["status", "--out", out])).stdout).toMatch(/^run r[0-9a-f]{8} \(media, source sample\) running; build #1 started /);
    // Another machine's build cannot be checked from here; no lock at all: nothing is building it.
    await writeFile(lockPath(out), JSON.stringify({ pid: process.pid, host: "other-box", startedAt: "2026-01-01T00:00:00Z" }));
    expect((await runMerr(["status", "--out", out])).stdout).toMatch(/^run r[0-9a-f]{8} \(media, source sample\) running \(its build runs on other-box; whether it still runs cannot be checked from here\); /);
    await rm(lockPath(out));
    expect((await runMerr(["status", "--out", out])).stdout).toMatch(/^run r[0-9a-f]{8} \(media, source sample\) interrupted \(its build process is gone/);
  });
});
