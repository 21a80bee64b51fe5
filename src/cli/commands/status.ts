import path from "node:path";
import { MerrError } from "../../core/errors.ts";
import { readRunManifest, readSamplesList } from "../../runtime/manifest.ts";
import { buildLockState } from "../../runtime/run-lock.ts";
import { formatSummary, summarizeRun } from "../../runtime/summary.ts";
import { checkFolderFlag } from "../options.ts";

/** `merr status --out DIR`: what a run has done so far, from its records (works while it runs). */
export async function statusCommand(flags: { out: string; json?: boolean }): Promise<number> {
  await checkFolderFlag("--out", flags.out, "give the --out of a merr build");
  const outDir = path.resolve(flags.out);
  const read = await readRunManifest(outDir);
  if (!read) throw new MerrError("E_USAGE", `--out ${flags.out}: no merr run here (no run.json); give the --out of a merr build`);
  let manifest = read;
  // A run marked running whose build process is gone (kill -9, a crash) was interrupted: workers may still
  // finish its jobs, but nothing waits for them or writes the summary until it is built again. The lock is
  // read right after run.json, and run.json again before saying so: a build that has just ended writes its
  // state before it lets the lock go.
  const lock = manifest.state === "running" ? await buildLockState(outDir) : undefined;
  let gone = lock?.state === "gone" || lock?.state === "none";
  if (gone) {
    manifest = (await readRunManifest(outDir)) ?? manifest;
    gone = manifest.state === "running";
  }
  const samples = await readSamplesList(outDir);
  const summary = await summarizeRun(outDir, samples, manifest.stages);
  const state = gone ? "interrupted" : manifest.state;
  const note = gone
    ? " (its build process is gone: merr build again on this --out finishes it)"
    : manifest.state === "running" && lock?.state === "elsewhere"
      ? ` (its build runs on ${lock.host}; whether it still runs cannot be checked from here)`
      : "";
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...manifest, state, ...(note ? { stateNote: note.slice(2, -1) } : {}), ...summary }, null, 2)}\n`);
  } else {
    process.stdout.write(
      // updatedAt is when the build started while it runs, and when it ended once it has.
      `run ${manifest.runId} (${manifest.pipeline}, source ${manifest.source}) ${state}${note}; build #${manifest.builds} ${manifest.state === "running" ? "started" : "ended"} ${manifest.updatedAt}\n${formatSummary(summary)}\n`,
    );
  }
  return 0;
}
