import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerAuCommands } from "../../src/cli/commands/au.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const FIXTURE = new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url).pathname;
const PYFEAT = new URL("../fixtures/openface/pyfeat-openface-1x.csv", import.meta.url).pathname;

async function run(argv: string[]): Promise<string> {
  const program = new Command("merr").exitOverride();
  registerAuCommands(program);
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  try {
    await program.parseAsync(argv, { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return lines.join("\n");
}

afterEach(() => vi.restoreAllMocks());

describe("merr au analyze", () => {
  it("prints the analysis as JSON", async () => {
    const out = JSON.parse(await run(["au", "analyze", FIXTURE, "--rules", "mer-factory", "--peak-method", "mer-factory"])) as Record<string, unknown>;
    expect(out).toMatchObject({ pseu_emotion: "surprise", peak_index: "221", peak_method: "mer-factory" });
    expect((out.mer_factory as { summary: string[] }).summary[0]).toBe("Peak at 10.20s: disgust (slight)");
  });

  it("applies flag overrides and reads the 1.x layout", async () => {
    const out = JSON.parse(await run(["au", "analyze", PYFEAT, "--on-no-match", "neutral", "--id", "pyfeat"])) as Record<string, unknown>;
    expect(out).toMatchObject({ pseu_emotion: "neutral", decision: { status: "neutral" }, frame_count: 100 });
  });

  it("refuses a non-numeric threshold and an unknown rule set", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(run(["au", "analyze", FIXTURE, "--intensity-min", "high"])).rejects.toThrow(/--intensity-min expects a number/);
    await expect(run(["au", "analyze", FIXTURE, "--rules", "nope"])).rejects.toThrow(/E_CONFIG_INVALID.*no rule set "nope"/);
  });
});

describe("merr au extract", () => {
  it("runs the OpenFace extractor given by --openface-bin and says where the CSV went", async () => {
    const dir = await tempOutDir("merr-cli-au-");
    const bin = path.join(dir, "FeatureExtraction");
    await writeFile(
      bin,
      `#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -f) v="$2"; shift 2;; -out_dir) o="$2"; shift 2;; *) shift;; esac; done\ns=$(basename "$v"); cp '${FIXTURE}' "$o/\${s%.*}.csv"\n`,
    );
    await chmod(bin, 0o755);
    await mkdir(path.join(dir, "o"));
    const csv = path.join(dir, "o", "au.csv");
    const clip = path.join(dir, "clip.mp4");
    await writeFile(clip, "not read by the stand-in OpenFace");
    const text = await run(["au", "extract", clip, "--extractor", "openface", "--openface-bin", bin, "-o", csv]);
    expect(text).toContain(`csv: ${csv}`);
    expect(text).toContain("frames: 224 (with a face: 224), extractor: openface");
    expect(await readFile(csv, "utf8")).toBe(await readFile(FIXTURE, "utf8"));
    // an empty clip is said as a build says it, before any extractor runs
    const empty = path.join(dir, "empty.mp4");
    await writeFile(empty, "");
    await expect(run(["au", "extract", empty, "--extractor", "openface", "--openface-bin", bin, "-o", csv])).rejects.toThrow(`${empty} is empty (0 bytes)`);
  });

  it("--upright turns the faces upright (builtin), and is refused with OpenFace", async () => {
    const dir = await tempOutDir("merr-cli-au-");
    const clip = new URL("../../data/sample/1001_DFA_HAP_XX.flv", import.meta.url).pathname;
    const text = await run(["au", "extract", clip, "--upright", "--fps", "5", "-o", path.join(dir, "au.csv")]);
    expect(text).toMatch(/extractor: builtin, faces turned upright$/m);
    await expect(run(["au", "extract", clip, "--upright", "--extractor", "openface", "-o", path.join(dir, "of.csv")])).rejects.toThrow(
      /E_USAGE.*--upright is for the builtin extractor/,
    );
  }, 60_000);
});

describe("merr au compare", () => {
  it("prints per-AU agreement of two CSVs, and names a file it cannot read", async () => {
    const text = await run(["au", "compare", FIXTURE, FIXTURE]);
    expect(text).toMatch(/^A: mer-factory-notebook-default\.csv; B: mer-factory-notebook-default\.csv\nframes compared: 223 /);
    expect(text).toMatch(/mean r: 1; brow AUs \(AU01, AU02, AU04\) mean r: 1$/m);
    expect(text).toMatch(/^brow AUs against their own side's blinks \(r with AU45\): A AU01 0\.02, AU02 0\.14, AU04 0\.16; B AU01 0\.02, AU02 0\.14, AU04 0\.16$/m);
    const json = JSON.parse(await run(["au", "compare", FIXTURE, FIXTURE, "--json"])) as { frames: number; aus: unknown[] };
    expect(json.aus).toHaveLength(17);
    await expect(run(["au", "compare", FIXTURE, "/nonexistent/b.csv"])).rejects.toThrow(/E_INPUT_INVALID.*cannot read \/nonexistent\/b\.csv/);
  });
});

describe("merr au compare <folder> <folder>", () => {
  it("pairs CSVs by clip name, averages each AU's r over the clips, labels both sides and scores them against a labels file", async () => {
    const dir = await tempOutDir("au-folders");
    const [a, b] = [path.join(dir, "openface"), path.join(dir, "builtin")];
    await mkdir(a);
    await mkdir(b);
    const notebook = await readFile(FIXTURE, "utf8");
    // B's clip1: AU01 reversed (5 - value), so its r is -1 on that clip and 1 on clip2.
    const [head, ...rows] = notebook.trim().split("\n");
    const i = (head ?? "").split(",").map((c) => c.trim()).indexOf("AU01_r");
    const reversed = [head, ...rows.map((r) => r.split(",").map((v, k) => (k === i ? String(5 - Number(v)) : v)).join(","))].join("\n");
    await writeFile(path.join(a, "clip1.csv"), notebook);
    await writeFile(path.join(b, "clip1.csv"), reversed);
    await writeFile(path.join(a, "clip2.csv"), await readFile(PYFEAT, "utf8"));
    await writeFile(path.join(b, "clip2.csv"), await readFile(PYFEAT, "utf8"));
    await writeFile(path.join(a, "only-a.csv"), notebook);
    await writeFile(path.join(b, "broken.csv"), "frame,confidence\n1,0.9\n");
    await writeFile(path.join(a, "broken.csv"), notebook);
    await writeFile(path.join(b, "clip2.sidecar.json"), "{}");
    const labels = path.join(dir, "labels.csv");
    await writeFile(labels, "name,label\nclip1.mp4,doubt\nclip2.mp4,Disgust\n");

    const text = await run(["au", "compare", a, b, "--labels", labels]);
    expect(text).toContain("clips compared: 2");
    expect(text).toMatch(/^AU01 {6}0\.00 {6}2 /m);
    expect(text).toMatch(/^AU17 {6}1\.00 {6}2 /m);
    expect(text).toContain("pseudo-labels A: doubt 1 (100%); filtered out 1");
    // disgust is no MERR label (no AU rule gives it): left out of the count, as merr eval does
    expect(text).toContain("right against the labels file (a filtered clip counts as neutral): A 1 of 1");
    expect(text).toContain("left out of the right-label count: clips labelled outside the MERR labels, which no AU rule gives (disgust 1), as merr eval does");
    expect(text).toMatch(/^clip2 .* \(disgust\)$/m);
    expect(text).toMatch(/^clip1 +223 +0\.88 +0\.33 +- +doubt/m);
    expect(text).toContain("not paired: 1 only in A (only-a), 0 only in B");
    expect(text).toMatch(/left out: broken: .*broken\.csv/);

    const json = JSON.parse(await run(["au", "compare", a, b, "--json"])) as {
      summary: { aus: Array<{ au: string; r: number; meanA: number; meanB: number; activeA: number; activeB: number }>; truth?: unknown };
      onlyA: string[];
    };
    expect(json.summary.aus.find((x) => x.au === "AU01")?.r).toBe(0);
    // The scale over every frame compared: B's reversed AU01 sits near 5 on clip1's 223 frames, so it is
    // active on far more frames than A's; AU17 is the same on both sides.
    const au01 = json.summary.aus.find((x) => x.au === "AU01");
    expect(au01?.activeB).toBeGreaterThan(0.6);
    expect(au01?.activeA).toBeLessThan(0.1);
    expect(au01?.meanB).toBeGreaterThan(3);
    const au17 = json.summary.aus.find((x) => x.au === "AU17");
    expect([au17?.meanB, au17?.activeB]).toEqual([au17?.meanA, au17?.activeA]);
    expect(json.summary.truth).toBeUndefined();
    expect(json.onlyA).toEqual(["only-a"]);

    await expect(run(["au", "compare", a, FIXTURE])).rejects.toThrow(/E_USAGE.*is a folder and .* is not/);
    await expect(run(["au", "compare", a, path.join(dir, "nope")])).rejects.toThrow(/E_USAGE.*nope does not exist: give two folders/);
    const empty = path.join(dir, "empty");
    await mkdir(empty);
    await expect(run(["au", "compare", a, empty])).rejects.toThrow(/holds no AU CSV/);

    // Two merr run folders (merr build --out): each sample's samples/<id>/au.csv.
    const runs = [path.join(dir, "run-openface"), path.join(dir, "run-builtin")];
    for (const [k, root] of runs.entries()) {
      for (const [id, text] of [["clip1", k ? reversed : notebook], ["clip2", notebook]] as const) {
        await mkdir(path.join(root, "samples", id), { recursive: true });
        await writeFile(path.join(root, "samples", id, "au.csv"), text);
      }
      await mkdir(path.join(root, "samples", "no-face"), { recursive: true });
    }
    const fromRuns = JSON.parse(await run(["au", "compare", ...runs, "--json"])) as { summary: { clips: number; aus: Array<{ au: string; r: number }> }; onlyA: string[] };
    expect(fromRuns.summary.clips).toBe(2);
    expect(fromRuns.summary.aus.find((x) => x.au === "AU01")?.r).toBe(0);
    expect(fromRuns.onlyA).toEqual([]);
  });
});
