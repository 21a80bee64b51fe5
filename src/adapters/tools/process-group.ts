import type { ChildProcess } from "node:child_process";

/**
 * Programs merr runs (ffmpeg, pocketsphinx, OpenFace...) start in a process group of their own
 * (`detached`), so the Ctrl-C a terminal sends to merr's group does not reach them: merr finishes the
 * jobs that are running (their programs included) and stops, instead of each program dying mid-file and
 * its job being recorded as a broken input. merr ends them itself: through the job's abort signal, and
 * when the process exits.
 */
export const OWN_PROCESS_GROUP = { detached: true } as const;

const running = new Set<ChildProcess>();
let hooked = false;

/** Ends `child` when this process exits (a detached child would otherwise outlive it). Returns `child`. */
export function endWithProcess<T extends ChildProcess>(child: T): T {
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    });
  }
  running.add(child);
  child.once("exit", () => running.delete(child));
  child.once("error", () => running.delete(child));
  return child;
}
