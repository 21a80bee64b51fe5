import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { browsFollowBlinks, compareAuTables, formatComparison, formatSetAgreement, pearson, summariseAgreements } from "../../src/core/au-compare.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";

const NOTEBOOK = new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url).pathname;
const PYFEAT = new URL("../fixtures/openface/pyfeat-openface-1x.csv", import.meta.url).pathname;

describe("merr au compare", () => {
  it("computes Pearson r, and none for a constant side", () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearson([1, 2], [1, 2])).toBeNull();
  });

  it("joins two tables on the frame number and scores every AU they share", () => {
    const text = readFileSync(NOTEBOOK, "utf8");
    const a = parseOpenFaceCsv(text, { file: "a.csv" });
    const same = compareAuTables(a, parseOpenFaceCsv(text, { file: "b.csv" }));
    expect(same.frames).toBe(a.rowCounts.valid);
    expect(same.meanR).toBe(1);
    expect(same.aus.every((x) => x.r === 1 && x.activeAgreement === 1)).toBe(true);
    // B: AU01 reversed (5 - value) and only the first 100 frames.
    const [head, ...rows] = text.trim().split("\n");
    const cols = (head ?? "").split(",").map((c) => c.trim());
    const i = cols.indexOf("AU01_r");
    const b = parseOpenFaceCsv([head, ...rows.slice(0, 100).map((r) => r.split(",").map((v, k) => (k === i ? String(5 - Number(v)) : v)).join(","))].join("\n"), { file: "b.csv" });
    const c = compareAuTables(a, b);
    expect(c.onlyA).toBe(a.rowCounts.valid - c.frames);
    expect(c.aus.find((x) => x.au === "AU01")?.r).toBe(-1);
    expect(c.aus.find((x) => x.au === "AU02")?.r).toBe(1);
    expect(c.browR).toBeCloseTo((-1 + 1 + 1) / 3, 2);
    expect(formatComparison(c, ["openface.csv", "builtin.csv"])).toMatch(/^A: openface\.csv; B: builtin\.csv\nframes compared: \d+/);
  });

  it("says when a side's brow AUs follow its own blinks, which makes their r say little about the brows", () => {
    // py-feat's OpenFace 1.x run: a face whose brows barely move; its AU02 and AU04 follow its blinks.
    const pyfeat = parseOpenFaceCsv(readFileSync(PYFEAT, "utf8"), { file: "pyfeat.csv" });
    const notebook = parseOpenFaceCsv(readFileSync(NOTEBOOK, "utf8"), { file: "notebook.csv" });
    const c = compareAuTables(pyfeat, pyfeat);
    const au = (name: string) => c.aus.find((x) => x.au === name);
    expect(au("AU02")?.blinkRA).toBeCloseTo(-0.65, 2);
    expect(au("AU04")?.blinkRA).toBeCloseTo(0.6, 2);
    expect(au("AU01")?.blinkRA).toBeCloseTo(-0.01, 2);
    expect(au("AU45")?.blinkRA).toBeNull();
    expect(browsFollowBlinks(c, 0)).toBe(true);
    const text = formatComparison(c, ["pyfeat.csv", "pyfeat.csv"]);
    expect(text).toMatch(/^brow AUs against their own side's blinks \(r with AU45\): A AU01 -0\.01, AU02 -0\.65, AU04 0\.60; B AU01 -0\.01, AU02 -0\.65, AU04 0\.60$/m);
    expect(text).toMatch(/^note: A's AU02, B's AU02, A's AU04, B's AU04 follow the blinks/m);
    // A side that blinks fully fewer than 3 times gives no brow-blink r (the same clip, its blinks halved).
    const [head, ...rows] = readFileSync(PYFEAT, "utf8").trim().split("\n");
    const k = (head ?? "").split(",").map((c) => c.trim()).indexOf("AU45_r");
    const halved = parseOpenFaceCsv([head, ...rows.map((r) => r.split(",").map((v, j) => (j === k ? String(Number(v) / 2) : v)).join(","))].join("\n"), { file: "halved.csv" });
    expect(compareAuTables(halved, halved).aus.find((x) => x.au === "AU02")?.blinkRA).toBeNull();
    // The notebook's brows do not follow its blinks.
    const n = compareAuTables(notebook, notebook);
    expect(browsFollowBlinks(n, 0)).toBe(false);
    expect(formatComparison(n, ["a", "b"])).not.toMatch(/^note:/m);
    const clips = [
      { id: "pyfeat", comparison: c, labels: [undefined, undefined] as [undefined, undefined] },
      { id: "notebook", comparison: n, labels: ["doubt", "doubt"] as [string, string] },
    ];
    const set = summariseAgreements(clips);
    expect(set.browsFollowBlinks).toEqual([1, 1]);
    expect(formatSetAgreement(set, clips, ["of", "builtin"])).toMatch(/^pyfeat +100 +1\.00 +1\.00 +A B +\(filtered\)/m);
  });
});
