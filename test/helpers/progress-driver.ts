/**
 * Drives merr's progress reporter on this process's stderr, the way `merr build` does on a terminal:
 * frames of a 73,000-clip MERR run (one line, then two, then back), then prints PROGRESS-DRIVER-DONE.
 * test/cli/progress-terminal.test.ts runs it inside tmux at a given width and reads the screen.
 */
import { silentLogger } from "../../src/core/logger.ts";
import { createProgressReporter, type ProgressSnapshot } from "../../src/runtime/progress.ts";
import { MERR_STAGE_NAMES, progressFrame } from "./progress-frames.ts";

const reporter = createProgressReporter("tty", silentLogger, process.stderr);
const frames: ProgressSnapshot[] = [
  progressFrame(0, MERR_STAGE_NAMES.slice(0, 2)),
  progressFrame(12_000),
  progressFrame(30_500),
  progressFrame(41_234),
];
for (const f of frames) {
  reporter.update(f);
  await new Promise((r) => setTimeout(r, 50));
}
reporter.end();
process.stderr.write("PROGRESS-DRIVER-DONE\n");
