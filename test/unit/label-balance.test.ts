import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collapseWarning, formatDistribution } from "../../src/core/label-balance.ts";
import { formatEvalReport, runEval } from "../../src/eval/run-eval.ts";
import { formatSummary, reasonKind, summarizeRun } from "../../src/runtime/summary.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fakeRun(labels: string[]): Promise<string> {
  const run = await tempOutDir("merr-balance-");
  dirs.push(run);
  await writeFakeRun(run, labels.map((label, i) => ({ id: `s${String(i).padStart(2, "0")}`, stages: completeStages({ label }) })));
  return run;
}

describe("label distribution and the collapse guard", () => {
  it("warns when one label holds more than half of 10 or more labelled samples, and only then", () => {
    expect(collapseWarning("pseudo-label", { happy: 6, sad: 4 })).toMatch(/pseudo-label collapse: "happy" holds 6 of 10 labelled samples \(60%\)/);
    expect(collapseWarning("pseudo-label", { happy: 5, sad: 5 })).toBeUndefined(); // half is not more than half
    expect(collapseWarning("pseudo-label", { happy: 9 })).toBeUndefined(); // too few to judge
    expect(collapseWarning("pseudo-label", { happy: 6, sad: 4 })).toMatch(/check the face analysis/);
    // A collapse onto the lips-part fallback names that cause and its fix.
    const doubt = collapseWarning("pseudo-label", { doubt: 7, happy: 3 });
    expect(doubt).toMatch(/"doubt" holds 7 of 10 .*lips-part fallback.*min_frame_fraction: 0\.5.*--rules <file>/);
    expect(doubt).not.toMatch(/check the face analysis/);
    expect(collapseWarning("final label", { doubt: 7, happy: 3 })).toMatch(/check the face analysis/);
    expect(formatDistribution({ sad: 1, happy: 3 })).toBe("happy 3 (75%), sad 1 (25%)");
    expect(formatDistribution({})).toBe("none");
  });

  it("the run summary (merr build, merr status) and merr eval print the distributions and the warning", async () => {
    const collapsed = await fakeRun([...Array(8).fill("surprise"), "happy", "sad", "angry"]);
    const ids = Array.from({ length: 11 }, (_, i) => ({ id: `s${String(i).padStart(2, "0")}`, path: "/x", source: "folder" }));
    const summary = await summarizeRun(collapsed, ids, ["au-analyze", "fine"]);
    expect(summary.labels.pseudo).toEqual({ surprise: 8, happy: 1, sad: 1, angry: 1 });
    expect(summary.warnings).toHaveLength(2); // the fake fine stage repeats the pseudo-label
    const text = formatSummary(summary);
    expect(text).toMatch(/pseudo-labels: surprise 8 \(73%\), angry 1 \(9%\), happy 1 \(9%\), sad 1 \(9%\)/);
    expect(text).toMatch(/warning: pseudo-label collapse: "surprise" holds 8 of 11/);
    const report = await runEval({ runDir: collapsed });
    expect(report.warnings[0]).toMatch(/pseudo-label collapse/);
    expect(formatEvalReport(report)).toMatch(/warning: pseudo-label collapse: "surprise" holds 8 of 11/);

    // A failed sample is in no set: its labels leave the distributions.
    const file = path.join(collapsed, "samples", "s00", "sample.json");
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, "utf8")), status: "failed" }));
    expect((await summarizeRun(collapsed, ids, ["au-analyze", "fine"])).labels.pseudo).toEqual({ surprise: 7, happy: 1, sad: 1, angry: 1 });

    const varied = await fakeRun(["surprise", "surprise", "happy", "happy", "sad", "sad", "angry", "angry", "neutral", "worried"]);
    const ok = await summarizeRun(varied, ids.slice(0, 10), ["au-analyze", "fine"]);
    expect(ok.warnings).toEqual([]);
    expect(formatSummary(ok)).not.toMatch(/collapse/);
  });

  it("the run summary counts why samples left a stage, by kind of message", async () => {
    expect(reasonKind("no clue supports the label sad")).toBe("no clue supports the label");
    expect(reasonKind("clues contradict the label fear: they favour happy (61%)")).toBe("clues contradict the label");
    expect(reasonKind('caption does not name the label "angry" (nor a word for it such as "anger")')).toBe("caption does not name the label");
    expect(reasonKind("caption ends on another label: happy, not \"sad\"")).toBe("caption ends on another label");
    expect(reasonKind("caption of 3 words (expected 8-200)")).toBe("caption of N words");
    expect(reasonKind("cannot read /clips/a.mp4")).toBe("cannot read <file>");
    expect(reasonKind("the face is about 31 px wide (median over 57 frames), below minFaceWidth 40")).toBe("the face is about N px wide, below minFaceWidth N");
    expect(reasonKind("[E_PROBE_FAILED] ffprobe cannot read /clips/a.mp4: moov atom not found")).toBe("ffprobe cannot read <file>");
    expect(reasonKind("no face was tracked in any of the 50 analysed frames of bars.mp4")).toBe("no face was tracked in any of the N analysed frames of <file>");
    // a leading source (model spec, path) is not the kind; parentheses go before the clause is cut
    expect(reasonKind("openai:gpt-4o-mini: empty answer")).toBe("empty answer");
    expect(reasonKind("ollama:llama3.2-vision:11b: malformed JSON from the server: x")).toBe("malformed JSON from the server");
    expect(reasonKind("/clips/a.wav: no data chunk")).toBe("no data chunk");
    expect(reasonKind("no AU rule fired at the peak frame (active AUs: AU01, AU02)")).toBe("no AU rule fired at the peak frame");
    expect(reasonKind("no frames in clip (1).mp4 or café.mp4")).toBe("no frames in clip <file> or <file>");
    const run = await tempOutDir("merr-why-");
    dirs.push(run);
    const filtered = (id: string, message: string) => {
      const stages = { ...completeStages({ label: "doubt" }), fine: { skip: { code: "filtered-out", message } } };
      return { id, status: "filtered" as const, reasons: [{ stage: "fine", code: "filtered-out", message }], stages };
    };
    await writeFakeRun(run, [
      filtered("a", "no clue supports the label sad"),
      filtered("b", "no clue supports the label angry"),
      filtered("c", "clues contradict the label fear: they favour happy (61%)"),
      { id: "d", stages: completeStages({ label: "happy" }) },
    ]);
    const ids = ["a", "b", "c", "d"].map((id) => ({ id, path: "/x", source: "folder" }));
    const summary = await summarizeRun(run, ids, ["au-analyze", "fine"]);
    expect(summary.stages.find((s) => s.stage === "fine")?.why).toEqual({ "no clue supports the label": 2, "clues contradict the label": 1 });
    expect(summary.stages.find((s) => s.stage === "au-analyze")?.why).toEqual({});
    expect(formatSummary(summary)).toMatch(/^why at fine: no clue supports the label ×2, clues contradict the label ×1$/m);
    // The stage table counts them as the headline does: filtered, not skipped.
    expect(summary.stages.find((s) => s.stage === "fine")).toMatchObject({ done: 1, filtered: 3, skipped: 0 });
    expect(formatSummary(summary)).toMatch(/^samples: 4 \(1 done, 3 filtered, 0 skipped, 0 failed\)$/m);
    expect(formatSummary(summary)).toMatch(/^stage +done +filtered +skipped +failed +reasons$/m);
    expect(formatSummary(summary)).toMatch(/^fine +1 +3 +0 +0 +filtered-out×3$/m);
  });
});
describe("the summary of an interrupted build", () => {
  it("counts a sample whose stage failed for good as failed, with its reason, before sample.json is written", async () => {
    const run = await tempOutDir("merr-interrupted-");
    dirs.push(run);
    const probeFailed = { "probe": { error: { code: "E_MEDIA_INVALID", message: "/clips/empty.mp4 is empty (0 bytes)" } } };
    await writeFakeRun(run, [
      { id: "a_done", stages: completeStages({ label: "happy" }) },
      { id: "b_broken", status: "running", stages: probeFailed },
      { id: "c_running", status: "running", stages: { "au-analyze": completeStages({ label: "sad" })["au-analyze"]! } },
    ]);
    const ids = ["a_done", "b_broken", "c_running"].map((id) => ({ id, path: "/x", source: "folder" as const }));
    const summary = await summarizeRun(run, ids, ["probe", "au-analyze"]);
    expect(summary.samples).toMatchObject({ done: 1, failed: 1, pending: 1 });
    expect(summary.notDone).toEqual([
      { id: "b_broken", status: "failed", stage: "probe", code: "E_MEDIA_INVALID", message: "/clips/empty.mp4 is empty (0 bytes)" },
      { id: "c_running", status: "pending", stage: undefined, code: undefined, message: undefined },
    ]);
    expect(summary.stages.find((s) => s.stage === "probe")).toMatchObject({ failed: 1, reasons: { E_MEDIA_INVALID: 1 } });
  });
});

