import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let out = "";
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

const lines = async (file: string): Promise<string[]> => (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);

describe("the README quick start: merr build --source sample (whole MERR chain, built-in backends)", () => {
  it("finishes on the six clips with captions for every clip that passes the filters, and a rerun executes nothing", async () => {
    out = await tempOutDir("merr-quickstart-");
    const first = await runMerr(["build", "--source", "sample", "--out", out]);
    expect(first.stderr).not.toMatch(/Error|E_INTERNAL/);
    expect([0, 2]).toContain(first.code);
    expect(first.stdout).toMatch(/samples: 6 \(/);
    expect(first.stdout).not.toMatch(/failed at/);
    const summary = JSON.parse(await readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary.samples.failed).toBe(0);
    expect(summary.samples.done).toBeGreaterThanOrEqual(3);
    for (const id of ["1001_DFA_HAP_XX", "1001_DFA_ANG_XX"]) {
      const coarse = JSON.parse(await readFile(path.join(out, "samples", id, "stages", "coarse.json"), "utf8"));
      expect(coarse.status).toBe("done");
      expect(coarse.output.caption).toMatch(/^This person in the video is .+ Saying: Don't forget a jacket/);
      const fine = JSON.parse(await readFile(path.join(out, "samples", id, "stages", "fine.json"), "utf8"));
      expect(fine.output.smp_reason_caption).toMatch(/^In the video, /);
    }
    const executed = (await lines(executionLogPath(out))).length;
    expect(executed).toBeGreaterThanOrEqual(6 * 11 - 6);

    const second = await runMerr(["build", "--source", "sample", "--out", out]);
    expect(second.code).toBe(first.code);
    expect(second.stdout).toMatch(/0 enqueued, 6 already done/);
    expect((await lines(executionLogPath(out))).length).toBe(executed);
  });
});

describe("merr status", () => {
  it("reports the run from its records, as text and JSON", async () => {
    const text = await runMerr(["status", "--out", out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^run r[0-9a-f]{8} \(merr, source sample\) finished/);
    expect(text.stdout).toMatch(/au-analyze\s+6\s+0\s+0/);
    const json = await runMerr(["status", "--out", out, "--json"]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.total).toBe(6);
    expect(parsed.stages.map((s: { stage: string }) => s.stage)).toContain("fine");
    const missing = await runMerr(["status", "--out", path.join(out, "nope")]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/no merr run here/);
  });
});
