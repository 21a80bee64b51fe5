import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareAuTables, formatComparison, pearson } from "../../src/core/au-compare.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";

const NOTEBOOK = new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url).pathname;

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
});
