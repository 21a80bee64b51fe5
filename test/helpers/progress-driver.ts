/**
 * Drives merr's progress reporter on this process's stderr, the way `merr build` does on a terminal:
 * frames of a 73,000-clip MERR run (one line, then two, then back) with a log entry between two of them,
 * then prints PROGRESS-DRIVER-DONE.
 * test/cli/progress-terminal.test.ts runs it inside tmux at a given width and reads the screen.
 */
import { silentLogger } from "../../src/core/logger.ts";
import { createLogger } from "../../src/core/logger.ts";
import { createProgressReporter, createTerminal, terminalLogDestination, type ProgressSnapshot } from "../../src/runtime/progress.ts";
import { MERR_STAGE_NAMES, progressFrame } from "./progress-frames.ts";

const terminal = createTerminal(process.stderr);
const reporter = createProgressReporter("tty", silentLogger, terminal);
// merr build's logger on a terminal: its entries go above the progress block, as text.
const logger = createLogger({ level: "warn", destination: terminalLogDestination(terminal) });
const frames: ProgressSnapshot[] = [
  progressFrame(0, MERR_STAGE_NAMES.slice(0, 2)),
  progressFrame(12_000),
  progressFrame(30_500),
  progressFrame(41_234),
];
for (const [i, f] of frames.entries()) {
  reporter.update(f);
  await new Promise((r) => setTimeout(r, 50));
  if (i === 1) logger.error({ sample: "empty", stage: "probe", err: "[E_MEDIA_INVALID] /clips/empty.mp4 is empty (0 bytes)" }, "stage failed");
}
reporter.end();
process.stderr.write("PROGRESS-DRIVER-DONE\n");
