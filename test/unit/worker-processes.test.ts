import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createMemoryLogger } from "../../src/core/logger.ts";
import { logLineText } from "../../src/runtime/progress.ts";
import { startWorkerProcesses } from "../../src/runtime/worker-processes.ts";

describe("extra worker processes (merr build --processes)", () => {
  it("hand each line a child writes on stderr to the given sink (a terminal draws it above its progress block)", async () => {
    const lines: string[] = [];
    const script = `console.error("merr worker: serving all stages"); console.error(JSON.stringify({ level: 50, time: "t", msg: "stage failed", sample: "a" }));`;
    const done = new Promise<void>((resolve) => {
      const sink = (line: string): void => {
        lines.push(logLineText(line));
        if (lines.length === 2) resolve();
      };
      startWorkerProcesses(1, [process.execPath, "-e", script], createMemoryLogger(), sink);
    });
    await Promise.race([done, sleep(10_000)]);
    expect(lines).toEqual(["merr worker: serving all stages", "error: stage failed (sample=a)"]);
  });
});
