import path from "node:path";
import { MerrError } from "../../core/errors.ts";
import { readRunManifest, readSamplesList } from "../../runtime/manifest.ts";
import { formatSummary, summarizeRun } from "../../runtime/summary.ts";
import { checkFolderFlag } from "../options.ts";

/** `merr status --out DIR`: what a run has done so far, from its records (works while it runs). */
export async function statusCommand(flags: { out: string; json?: boolean }): Promise<number> {
  await checkFolderFlag("--out", flags.out, "give the --out of a merr build");
  const outDir = path.resolve(flags.out);
  const manifest = await readRunManifest(outDir);
  if (!manifest) throw new MerrError("E_USAGE", `--out ${flags.out}: no merr run here (no run.json); give the --out of a merr build`);
  const samples = await readSamplesList(outDir);
  const summary = await summarizeRun(outDir, samples, manifest.stages);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...manifest, ...summary }, null, 2)}\n`);
  } else {
    process.stdout.write(
      // updatedAt is when the build started while it runs, and when it ended once it has.
      `run ${manifest.runId} (${manifest.pipeline}, source ${manifest.source}) ${manifest.state}; build #${manifest.builds} ${manifest.state === "running" ? "started" : "ended"} ${manifest.updatedAt}\n${formatSummary(summary)}\n`,
    );
  }
  return 0;
}
