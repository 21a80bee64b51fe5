import { spawn, type ChildProcess } from "node:child_process";
import { projectPath } from "../../src/core/paths.ts";

export const MERR_BIN = projectPath("bin", "merr.js");

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Starts `merr <args>` as a real child process (argv array, no shell). `group`: in a process group of its
 * own, as a terminal runs a command (signal the whole group with `process.kill(-pid, ...)`, as Ctrl-C does).
 */
export function spawnMerr(args: string[], env: Record<string, string> = {}, opts: { group?: boolean } = {}): Spawned {
  const child = spawn(process.execPath, [MERR_BIN, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: opts.group ?? false,
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

export async function runMerr(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnMerr(args, env);
  const code = await s.exit;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}
