import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { projectPath } from "../../src/core/paths.ts";
import { tempDir } from "../helpers/temp.ts";

/**
 * The progress display on a real terminal: tmux gives the driver (test/helpers/progress-driver.ts) a
 * pseudo-terminal of a set width and renders what it draws; the test reads the screen back. A line
 * longer than the terminal would wrap onto a screen row of its own, and a redraw that forgets a line
 * leaves it behind.
 */
const TMUX = "/usr/bin/tmux";
const hasTmux = existsSync(TMUX);
let socket = "";

afterEach(() => {
  if (socket) {
    try {
      execFileSync(TMUX, ["-S", socket, "kill-server"], { stdio: "ignore" });
    } catch {
      // The server is already gone once its only session ended.
    }
    socket = "";
  }
});

async function screenAt(columns: number): Promise<string[]> {
  const dir = await tempDir("merr-tmux-");
  socket = path.join(dir, "s");
  // tsx keeps a cache in TMPDIR: this folder, so the test run's private TMPDIR stays clean.
  const driver = `TMPDIR=${dir} ${process.execPath} --import tsx ${projectPath("test/helpers/progress-driver.ts")}; sleep 30`;
  execFileSync(TMUX, ["-S", socket, "-f", "/dev/null", "new-session", "-d", "-x", String(columns), "-y", "20", "-c", projectPath(), driver]);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const screen = execFileSync(TMUX, ["-S", socket, "capture-pane", "-p"], { encoding: "utf8" });
    if (screen.includes("PROGRESS-DRIVER-DONE")) return screen.split("\n").filter((l) => l.trim() !== "");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the progress driver did not finish within 30 s");
}

describe.skipIf(!hasTmux)("progress on a terminal (tmux; skipped without /usr/bin/tmux, which scripts/setup.sh installs)", () => {
  it.each([80, 120])("at %i columns the last frame fits, shows done/total and the ETA, no earlier frame is left, and a log entry stands on its own line", async (columns) => {
    const screen = await screenAt(columns);
    const done = screen.indexOf("PROGRESS-DRIVER-DONE");
    // The log entry written while a frame was on screen has a line of its own, as text, above the block.
    const log = "error: stage failed (sample=empty, stage=probe, err=[E_MEDIA_INVALID] /clips/empty.mp4 is empty (0 bytes))";
    const rows = Math.ceil(log.length / columns); // a longer line wraps
    expect(screen.slice(0, rows).join(""), screen.join("\n")).toBe(log);
    const frame = screen.slice(rows, done);
    expect(frame.length, screen.join("\n")).toBeLessThanOrEqual(2);
    expect(frame[0]).toMatch(/^41234\/73000( samples)? · ETA 1h09m/);
    for (const row of frame) expect(row.length).toBeLessThan(columns);
    if (columns === 120) expect(frame.join(" ")).toMatch(/visual-describe 47587 \(12 failed\).*fine 41234$|vis-des 47587 \(12 failed\).*fin 41234$/);
  });
});
