import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../core/logger.ts";

/**
 * Extra worker processes for one machine: Node runs a stage's JavaScript on one core, so `merr build
 * --processes N` starts N-1 `merr worker` children on the same Redis to use more cores (face analysis
 * and the per-job queue work are CPU-bound).
 */
export interface WorkerProcesses {
  readonly pids: number[];
  /** SIGTERM each child (it finishes its active jobs), then waits; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * `stderr`: where each line a child writes on its stderr goes (a terminal's progress block draws around
 * them); by default the children write to this process's stderr themselves.
 */
export function startWorkerProcesses(count: number, argv: readonly string[], logger: Logger, stderr?: (line: string) => void): WorkerProcesses {
  const [cmd, ...args] = argv;
  if (!cmd || count <= 0) return { pids: [], stop: async () => undefined };
  const children: ChildProcess[] = [];
  let stopping = false;
  for (let i = 0; i < count; i++) {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", stderr ? "pipe" : "inherit"] });
    if (stderr && child.stderr) createInterface({ input: child.stderr, crlfDelay: Infinity }).on("line", (line) => stderr(line));
    child.once("exit", (code, signal) => {
      // Its jobs are not lost: their locks expire and the other workers take them over.
      if (!stopping) logger.warn({ pid: child.pid, code, signal }, "a worker process stopped early");
    });
    child.once("error", (error) => logger.error({ err: error.message }, "could not start a worker process"));
    children.push(child);
  }
  return {
    pids: children.map((c) => c.pid).filter((p): p is number => typeof p === "number"),
    async stop(graceMs = 60_000) {
      stopping = true;
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = once(c, "exit");
          c.kill("SIGTERM");
          await Promise.race([exited, sleep(graceMs)]);
          if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        }),
      );
    },
  };
}
