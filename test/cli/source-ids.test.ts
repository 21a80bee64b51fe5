import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { shortHash } from "../../src/core/ids.ts";
import { projectPath } from "../../src/core/paths.ts";
import { executionLogPath } from "../../src/runtime/execute.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

let root = "";
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const clip = (emotion: string): string => projectPath("data", "sample", `1001_DFA_${emotion}_XX.flv`);

describe("merr build into the same --out, with the run and export folders inside --input", () => {
  it("keeps a clip's id when a file with its stem is added, ingests none of merr's own folders, and names the samples the source no longer lists", async () => {
    root = await tempOutDir("merr-ids-");
    const input = path.join(root, "in");
    const out = path.join(input, "merr-out");
    const exp = path.join(input, "merr-export");
    const ep01 = path.join(input, "clips", "ep01", "clip001.flv");
    const ep02 = path.join(input, "clips", "ep02", "clip001.flv");
    await mkdir(path.dirname(ep01), { recursive: true });
    await mkdir(path.dirname(ep02), { recursive: true });
    await copyFile(clip("ANG"), ep01);
    const logLines = async (): Promise<string[]> => (await readFile(executionLogPath(out), "utf8").catch(() => "")).split("\n").filter(Boolean);
    const build = async (): Promise<{ stderr: string; stdout: string; ran: string[] }> => {
      const before = (await logLines()).length;
      const r = await runMerr(["build", "--source", "folder", "--input", input, "--out", out, "--export", exp, "--log-level", "warn"]);
      expect(r.code, r.stderr).toBe(0);
      const ran = (await logLines()).slice(before).map((l) => (JSON.parse(l) as { sample: string }).sample);
      return { stderr: r.stderr, stdout: r.stdout, ran: [...new Set(ran)].sort() };
    };
    const listed = async (): Promise<Record<string, string>> =>
      Object.fromEntries((JSON.parse(await readFile(path.join(out, "samples.json"), "utf8")) as Array<{ id: string; path: string }>).map((s) => [s.id, s.path]));
    const fineNames = async (): Promise<string[]> => (await readFile(path.join(exp, "MERR_fine_grained.txt"), "utf8")).split("\n").filter(Boolean).map((l) => l.split(" ")[0] as string);

    const first = await build();
    expect(await listed()).toEqual({ clip001: ep01 });
    expect(first.ran).toEqual(["clip001"]);

    // A second clip001 in another folder: ep01's keeps its id and its work; the export's and the viewer's
    // videos under --input are not clips.
    await copyFile(clip("HAP"), ep02);
    const second = await build();
    const hashed = `clip001_${shortHash(path.join("clips", "ep02", "clip001.flv"), 6)}`;
    expect(await listed()).toEqual({ clip001: ep01, [hashed]: ep02 });
    expect(second.ran).toEqual([hashed]);
    expect(second.stderr).toContain(`merr build: note: --input ${input}: skipped 2 folders merr wrote, whose videos are merr's copies: merr-export (a merr export folder: export-report.json), merr-out (a merr run folder: run.json, samples/)`);
    expect((await fineNames()).sort()).toEqual(["clip001", hashed]);

    // ep02's clip deleted: its sample stays in the run, and status, build and export say so.
    await rm(ep02);
    const third = await build();
    expect(third.ran).toEqual([]);
    const warning = `warning: 1 sample in ${path.join(out, "samples")} is not among the 1 clip --source folder --input ${input} listed at the last build (a clip renamed, moved or deleted since, or an old copy of a clip listed under another id): ${hashed} (${ep02})`;
    expect(third.stdout).toContain(warning);
    expect(third.stdout).toMatch(/excluded samples \(failed\/filtered\/reviewed\/unlisted\): \{unlisted=1\}/);
    expect(await fineNames()).toEqual(["clip001"]);
    const status = await runMerr(["status", "--out", out]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${warning}; merr export leaves it out (--keep-unlisted exports it). Remove it (rm -r ${path.join(out, "samples", hashed)})`);
  });
});
