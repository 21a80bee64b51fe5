import { copyFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readRawFrames } from "../../src/adapters/face/frames.ts";
import { streamExtents } from "../../src/adapters/tools/ffmpeg.ts";
import { MerrError } from "../../src/core/errors.ts";
import { projectPath } from "../../src/core/paths.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let dir = "";
beforeAll(async () => {
  dir = await tempOutDir("merr-signals-");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The pid of the process whose command line names `file` (the decoding ffmpeg), once there is one. */
async function pidReading(file: string): Promise<number> {
  for (let tries = 0; tries < 2000; tries++) {
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      if (cmdline.split("\0").includes(file)) return Number(entry);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no process reads ${file}`);
}

/** Decodes `file` and sends `signal` to its ffmpeg once the first frame is out; what the decode throws. */
async function decodeStoppedBy(file: string, signal: NodeJS.Signals): Promise<unknown> {
  try {
    let sent = false;
    for await (const frame of readRawFrames(file)) {
      expect(frame.rgb.length).toBeGreaterThan(0);
      if (!sent) process.kill(await pidReading(file), signal);
      sent = true;
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("ffprobe stopped by a signal (probe's packet scan)", () => {
  it("is a failed try (E_ABORTED), not a file ffprobe cannot read (E_PROBE_FAILED, final)", async () => {
    // A server that accepts and never answers: ffprobe waits on it until it is stopped, however fast or
    // loaded the machine is (an 11-minute file once let a fast scan end before the test found the process).
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const file = `http://127.0.0.1:${(server.address() as AddressInfo).port}/waiting.flv`;
    const scan = streamExtents(file).then(() => undefined, (error: unknown) => error);
    process.kill(await pidReading(file), "SIGKILL");
    const error = await scan;
    server.closeAllConnections();
    server.close();
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_ABORTED");
    expect((error as MerrError).retryable).toBe(true);
    expect((error as MerrError).message).toContain("ffprobe was stopped by SIGKILL");
  });
});

describe("the frame decoder (readRawFrames)", () => {
  // A Ctrl-C that reaches ffmpeg in the moment before it has its own process group, or a signal from
  // outside merr, must not record a good clip as undecodable (E_MEDIA_INVALID is final).
  it.each(["SIGKILL", "SIGTERM", "SIGINT"] as const)("calls an ffmpeg stopped by %s a failed try, not a broken file", async (signal) => {
    const file = path.join(dir, `clip-${signal}.flv`);
    await copyFile(projectPath("data", "sample", "1001_DFA_NEU_XX.flv"), file);
    const error = await decodeStoppedBy(file, signal);
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_ABORTED");
    expect((error as MerrError).retryable).toBe(true);
    expect((error as MerrError).message).toContain(`ffmpeg was stopped by a signal`);
    expect((error as MerrError).message).toContain(file);
  });

  it("still calls a file ffmpeg cannot decode undecodable", async () => {
    const file = path.join(dir, "garbage.flv");
    const good = await readFile(projectPath("data", "sample", "1001_DFA_NEU_XX.flv"));
    // The FLV header and metadata, then noise where the frames were.
    await writeFile(file, Buffer.concat([good.subarray(0, 2000), Buffer.alloc(good.length - 2000, 0x5a)]));
    let error: unknown;
    try {
      for await (const frame of readRawFrames(file)) expect(frame).toBeDefined();
    } catch (e) {
      error = e;
    }
    expect((error as MerrError | undefined)?.code).toBe("E_MEDIA_INVALID");
  });
});
