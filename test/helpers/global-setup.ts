import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { projectPath } from "../../src/core/paths.ts";
import { startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Newest modification time (ms) of the files under `entry`, recursively. */
function newestMtime(entry: string): number {
  const info = statSync(entry, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

/**
 * Tests that spawn `merr` run the compiled CLI (bin/merr.js → dist/). Rebuild it when any source is newer
 * than the build, so `npm test` after an edit never tests stale JavaScript.
 */
function ensureFreshBuild(): void {
  const built = statSync(projectPath("dist", "src", "cli", "merr.js"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const inputs = ["src", "pipelines", "workers", "tsconfig.json", "tsconfig.build.json", "package.json"];
  if (built > Math.max(...inputs.map((p) => newestMtime(projectPath(p))))) return;
  // Built beside dist and swapped in, so a test run that is using dist meanwhile sees old or new files, never none.
  const next = projectPath(`dist.next-${process.pid}`);
  const old = projectPath(`dist.old-${process.pid}`);
  const tsc = projectPath("node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", projectPath("tsconfig.build.json"), "--outDir", next], { stdio: "inherit" });
  } catch (error) {
    // A failed compile leaves a partial folder: never keep it beside the sources.
    rmSync(next, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(projectPath("dist"))) renameSync(projectPath("dist"), old);
  renameSync(next, projectPath("dist"));
  rmSync(old, { recursive: true, force: true });
}

/** Marks a private TMPDIR with the pid of the test run that owns it. */
const OWNER = ".owner-pid";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * A run that was killed (Ctrl-C twice, kill -9) never reaches its teardown: its private TMPDIR stays.
 * Remove those of runs whose process is gone (a folder too young to carry its owner yet is left alone).
 */
function removeAbandonedRuns(): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith("merr-test-run-")) continue;
    const dir = path.join(os.tmpdir(), name);
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(path.join(dir, OWNER), "utf8"));
    } catch {
      if (Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) < 60_000) continue;
    }
    if (!Number.isInteger(pid) || !alive(pid)) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The run gets a private TMPDIR, set before any worker starts so test workers and every child process
 * (merr, ffmpeg, redis-server) inherit it. At the end it must be empty: a leftover fails the run, by name.
 */
function privateTmpdir(): { dir: string; check: () => void } {
  removeAbandonedRuns();
  const dir = mkdtempSync(path.join(os.tmpdir(), "merr-test-run-"));
  writeFileSync(path.join(dir, OWNER), String(process.pid));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return {
    dir,
    check() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      const left = readdirSync(dir).filter((f) => f !== OWNER);
      rmSync(dir, { recursive: true, force: true });
      if (left.length > 0) {
        // vitest reports an error thrown at teardown but still exits 0: set the exit code too.
        process.exitCode = 1;
        throw new Error(`tests left ${left.length} temporary entr${left.length === 1 ? "y" : "ies"} behind: ${left.sort().join(", ")} ` +
          "(make them with tempDir() from test/helpers/temp.ts, or remove them in afterAll)");
      }
    },
  };
}

/**
 * Integration tests talk to a real Redis: REDIS_URL when set, else a private redis-server started here
 * with the same code as `merr build`'s embedded mode. Each test file isolates itself with its own prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureFreshBuild();
  const tmp = privateTmpdir();
  const env = process.env.REDIS_URL;
  if (env) {
    project.provide("redisUrl", env);
    return async () => tmp.check();
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-test-redis-"));
  const redis = await startEmbeddedRedis({ dir, orphan: "stop" });
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
    tmp.check();
  };
}
