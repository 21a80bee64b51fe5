import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createRedis } from "../../src/core/redis.ts";
import { projectPath } from "../../src/core/paths.ts";
import { socketPathFor, startEmbeddedRedis } from "../../src/runtime/embedded-redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("embedded redis-server", () => {
  it("starts with AOF and noeviction, adopts a running orphan, and keeps data across a restart", async () => {
    const dir = await tempOutDir();
    dirs.push(dir);
    const first = await startEmbeddedRedis({ dir });
    expect(first.adopted).toBe(false);
    const c = createRedis(first.url);
    expect(await c.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    expect(await c.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    await c.set("k", "v");
    await c.quit();
    // A second start on the same dir (as after kill -9 of merr) finds the server and reuses it.
    const again = await startEmbeddedRedis({ dir });
    expect(again.adopted).toBe(true);
    expect(again.pid).toBe(first.pid);
    await again.stop();
    const restarted = await startEmbeddedRedis({ dir });
    expect(restarted.adopted).toBe(false);
    const c2 = createRedis(restarted.url);
    expect(await c2.get("k")).toBe("v");
    await c2.quit();
    await restarted.stop();
  });

  it("stops its server when the process exits without stopping it (a second Ctrl-C: process.exit)", async () => {
    const dir = await tempOutDir();
    dirs.push(dir);
    const script = path.join(dir, "exit-now.mts");
    const module = JSON.stringify(projectPath("src", "runtime", "embedded-redis.ts"));
    await writeFile(script, `import { startEmbeddedRedis } from ${module};\nconst r = await startEmbeddedRedis({ dir: ${JSON.stringify(path.join(dir, "redis"))} });\nconsole.log(r.pid);\nprocess.exit(130);\n`);
    // tsx keeps its cache in the temp folder: the test's own, so nothing is left behind
    const run = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { cwd: projectPath(), env: { ...process.env, TMPDIR: dir } }).catch((e: { code: number; stdout: string }) => e);
    expect((run as { code?: number }).code).toBe(130);
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await sleep(50);
    expect(alive(), `redis-server ${pid} still running after its merr process exited`).toBe(false);
  });

  it("names the package to install when redis-server is missing", async () => {
    const dir = await tempOutDir();
    dirs.push(dir);
    await expect(startEmbeddedRedis({ dir, bin: "redis-server-not-installed" })).rejects.toThrow(/apt-get install redis-server.*--redis URL/);
  });

  it("falls back to a short socket path when the output dir is too deep", () => {
    const deep = path.join("/tmp", "x".repeat(120));
    expect(Buffer.byteLength(socketPathFor(deep))).toBeLessThanOrEqual(107);
    expect(socketPathFor("/tmp/short")).toBe("/tmp/short/redis.sock");
  });
});
