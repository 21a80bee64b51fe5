import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MerrError } from "../core/errors.ts";
import { shortHash } from "../core/ids.ts";
import type { Logger } from "../core/logger.ts";

/**
 * A private redis-server for one output directory: unix socket and AOF under `<dir>`, noeviction.
 * A server left running by a killed earlier process (same dir) is found through its socket and reused.
 */
export interface EmbeddedRedis {
  /** `unix:///.../redis.sock` */
  readonly url: string;
  readonly dir: string;
  /** True when an already running server (an orphan of a killed run) was adopted. */
  readonly adopted: boolean;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const MAX_SOCKET_PATH = 107;

export function socketPathFor(dir: string): string {
  const inDir = path.join(dir, "redis.sock");
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  // Unix socket paths are limited to 107 bytes: fall back to a stable name in the temp dir.
  return path.join(os.tmpdir(), `merr-redis-${shortHash(dir, 12)}.sock`);
}

function ping(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once("error", () => done(false));
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

function sendShutdown(socket: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once("error", () => resolve());
    s.once("connect", () => s.end("SHUTDOWN\r\n"));
    s.once("close", () => resolve());
  });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function readPid(dir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path.join(dir, "redis.pid"), "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface StartEmbeddedOptions {
  /** Folder for the socket, AOF, pidfile and log (created). */
  dir: string;
  /** @defaultValue "redis-server" */
  bin?: string;
  logger?: Logger;
  /** Reuse a server already running on the socket (default) or stop it and start a fresh one. */
  orphan?: "reuse" | "stop";
}

export async function startEmbeddedRedis(options: StartEmbeddedOptions): Promise<EmbeddedRedis> {
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const socket = socketPathFor(dir);
  const url = `unix://${socket}`;
  if (existsSync(socket) && (await ping(socket))) {
    const pid = await readPid(dir);
    if ((options.orphan ?? "reuse") === "reuse") {
      options.logger?.warn({ socket, pid }, "reusing a redis-server left running by an earlier merr process");
      const release = stopAtExit(() => pid !== undefined && isAlive(pid), pid);
      return {
        url, dir, adopted: true, pid,
        stop: async () => {
          release();
          await shutdown(socket, pid);
        },
      };
    }
    await shutdown(socket, pid);
  }
  await rm(socket, { force: true });
  const bin = options.bin ?? "redis-server";
  const args = [
    "--port", "0",
    "--unixsocket", socket,
    "--unixsocketperm", "700",
    "--dir", dir,
    "--appendonly", "yes",
    "--appendfsync", "everysec",
    "--save", "",
    "--maxmemory-policy", "noeviction",
    "--daemonize", "no",
    "--logfile", path.join(dir, "redis.log"),
    "--pidfile", path.join(dir, "redis.pid"),
  ];
  // detached: Ctrl-C in the terminal must not kill Redis before the workers have closed.
  const child: ChildProcess = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  child.unref();
  const deadline = Date.now() + 10_000;
  while (!(await ping(socket, 200))) {
    const failure = await Promise.race([spawnError, sleep(20).then(() => undefined)]);
    if (failure) {
      if ((failure as NodeJS.ErrnoException).code === "ENOENT") {
        throw new MerrError("E_TOOL_MISSING", `${bin} was not found on PATH; install it with: sudo apt-get install redis-server (or pass --redis URL to use a running server)`);
      }
      throw new MerrError("E_REDIS_UNAVAILABLE", `could not start ${bin}: ${failure.message}`);
    }
    if (child.exitCode !== null) {
      throw new MerrError("E_REDIS_UNAVAILABLE", `${bin} exited during start (code ${child.exitCode}): ${stderr.trim()} (see ${path.join(dir, "redis.log")})`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new MerrError("E_REDIS_UNAVAILABLE", `${bin} did not answer on ${socket} within 10 s (see ${path.join(dir, "redis.log")})`);
    }
  }
  child.stderr?.destroy();
  options.logger?.debug({ socket, pid: child.pid }, "embedded redis-server started");
  const release = stopAtExit(() => child.exitCode === null && child.signalCode === null, child.pid);
  return {
    url,
    dir,
    adopted: false,
    pid: child.pid,
    async stop() {
      release();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM"); // redis: SIGTERM = fsync the AOF and exit
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await rm(socket, { force: true });
    },
  };
}

/**
 * Sends the server SIGTERM (Redis writes its AOF and exits) when this process exits without stopping it:
 * a second Ctrl-C ("exiting now") or any other process.exit. Only a killed process leaves its server
 * running (the next build on the same folder adopts it). Returns the release, for a regular stop.
 */
function stopAtExit(running: () => boolean, pid: number | undefined): () => void {
  const onExit = (): void => {
    try {
      if (pid !== undefined && running()) process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  process.once("exit", onExit);
  return () => {
    process.off("exit", onExit);
  };
}

async function shutdown(socket: string, pid: number | undefined): Promise<void> {
  await sendShutdown(socket);
  for (let i = 0; i < 500 && pid && isAlive(pid); i++) await sleep(10);
  await rm(socket, { force: true });
}
