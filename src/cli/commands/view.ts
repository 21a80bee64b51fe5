import { loadConfig } from "../../core/config.ts";
import { assertRunDir } from "../../export/load-entries.ts";
import { startViewer } from "../../view/index.ts";

export interface ViewFlags {
  out: string;
  host: string;
  port: number;
  auth?: string;
  reviewer?: string;
}

/** `merr view`: the run's samples in the browser, with review decisions, until Ctrl-C. */
export async function viewCommand(flags: ViewFlags, signal: AbortSignal): Promise<number> {
  const config = loadConfig({});
  await assertRunDir(flags.out);
  const viewer = await startViewer({ runDir: flags.out, host: flags.host, port: flags.port, auth: flags.auth ?? config.dashboardAuth, reviewer: flags.reviewer });
  process.stdout.write(`merr view: ${viewer.url} (Ctrl-C to stop)\n`);
  process.stdout.write(`scripts that post reviews without the browser send the header x-merr-token: ${viewer.token}\n`);
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  await viewer.close();
  return 0;
}
