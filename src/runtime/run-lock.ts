/**
 * One build per output folder. `merr build` takes `<out>/build.lock` (pid, host, start time) before it
 * starts anything; a second build on the same folder refuses with the owner's pid instead of sharing,
 * and later stopping, the first build's embedded Redis. A lock whose process is gone (kill -9, a crash)
 * is taken over. `merr status`, `merr dashboard --out` and workers never take it.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MerrError } from "../core/errors.ts";

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  file: string;
  release(): Promise<void>;
}

export const lockPath = (outDir: string): string => path.join(path.resolve(outDir), "build.lock");

/** True when a process with this pid exists on this machine (signal 0 tests without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const v = JSON.parse(await readFile(file, "utf8")) as Partial<LockOwner>;
    return typeof v.pid === "number" && typeof v.host === "string" ? { pid: v.pid, host: v.host, startedAt: String(v.startedAt ?? "") } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the output folder's build lock, or throws E_RUN_LOCKED naming the build that holds it. A lock
 * left by a process that no longer runs on this host (or an unreadable one) is replaced.
 */
export async function acquireRunLock(outDir: string): Promise<RunLock> {
  const file = lockPath(outDir);
  await mkdir(path.dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${JSON.stringify(me)}\n`);
      await handle.close();
      return {
        file,
        async release() {
          const owner = await readOwner(file);
          if (owner?.pid === me.pid && owner.host === me.host) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(file);
    if (owner && owner.host !== me.host) {
      throw new MerrError(
        "E_RUN_LOCKED",
        `${path.dirname(file)} is being built by pid ${owner.pid} on ${owner.host} (since ${owner.startedAt}); wait for it, use another --out, or delete ${file} if that build is gone`,
      );
    }
    if (owner && alive(owner.pid)) {
      throw new MerrError(
        "E_RUN_LOCKED",
        `${path.dirname(file)} is being built by pid ${owner.pid} (since ${owner.startedAt}); wait for it to finish (merr status --out ${outDir} shows its progress) or use another --out`,
      );
    }
    // Stale (its process is gone) or unreadable: replace it.
    await rm(file, { force: true });
  }
  throw new MerrError("E_RUN_LOCKED", `could not take ${file}: another build keeps taking it`);
}

/**
 * Whether a build holds the output folder's lock: `held` (its process runs on this machine), `gone` (its
 * process no longer runs: killed, or the machine restarted), `elsewhere` (another host's: cannot tell), or
 * `none` (no lock). `merr status` reads it to tell a running build from one that was killed.
 */
export async function buildLockState(outDir: string): Promise<{ state: "held" | "gone" | "elsewhere" | "none"; host?: string }> {
  const owner = await readOwner(lockPath(outDir));
  if (!owner) return { state: "none" };
  if (owner.host !== os.hostname()) return { state: "elsewhere", host: owner.host };
  return { state: alive(owner.pid) ? "held" : "gone" };
}
