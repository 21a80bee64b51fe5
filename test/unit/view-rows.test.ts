import { describe, expect, it } from "vitest";
import { agreementOf, parseRowQuery, queryRows, type ViewRow } from "../../src/view/rows.ts";
import { renderAuTimelineSvg, renderProsodySvg } from "../../src/view/svg.ts";

const row = (id: string, o: Partial<ViewRow> = {}): ViewRow => ({ id, status: "done", reasons: [], agreement: "n/a", review: "unreviewed", stale: false, ...o });

describe("the viewer's sample list", () => {
  const rows: ViewRow[] = [
    row("a", { pseudo: "happy", final: "happy", truth: "happy", agreement: "agree", confidence: 0.9 }),
    row("b", { pseudo: "happy", final: "sad", agreement: "disagree", confidence: 0.4, review: "rejected" }),
    row("c", { status: "filtered", reasons: ["au-analyze/filtered-out"], truth: "neutral" }),
    ...Array.from({ length: 12 }, (_, i) => row(`h${String(i).padStart(2, "0")}`, { pseudo: "happy", final: "happy", confidence: 0.6 })),
  ];

  it("filters by facets, counts each facet over the rows that pass the other filters, sorts and pages", () => {
    const page = queryRows(rows, parseRowQuery({ status: "done", pseudo: "happy", sort: "confidence", desc: "1", size: "5", page: "0" }));
    expect(page.total).toBe(14);
    expect(page.all).toBe(15);
    expect(page.rows.map((r) => r.id)).toEqual(["a", "h00", "h01", "h02", "h03"]);
    expect(page.facets.status).toEqual({ done: 14 }); // c is not happy
    expect(page.facets.pseudo).toEqual({ happy: 14 }); // its own filter ignored: every done row is happy
    expect(page.facets.confidence).toEqual({ ">=0.7": 1, "0.3-0.5": 1, "0.5-0.7": 12 });
    const last = queryRows(rows, parseRowQuery({ status: "done", pseudo: "happy", sort: "confidence", desc: "1", size: "5", page: "9" }));
    expect(last.page).toBe(2);
    expect(last.rows.at(-1)?.id).toBe("b");
    expect(queryRows(rows, parseRowQuery({ reason: "au-analyze/filtered-out" })).rows.map((r) => r.id)).toEqual(["c"]);
    expect(queryRows(rows, parseRowQuery({ q: "H1" })).rows.map((r) => r.id)).toEqual(["h10", "h11"]);
  });

  it("warns when one label dominates the selection; a rejected sample leaves the final distribution", () => {
    const page = queryRows(rows, parseRowQuery({}));
    expect(page.distribution.final).toEqual({ happy: 13 });
    expect(page.warnings.join("\n")).toMatch(/final label collapse: "happy" holds 13 of 13/);
    expect(queryRows(rows.slice(0, 3), parseRowQuery({})).warnings).toEqual([]);
  });

  it("calls labels in agreement only when at least two are present", () => {
    expect(agreementOf(["happy", undefined, "happy"])).toBe("agree");
    expect(agreementOf(["happy", "sad", undefined])).toBe("disagree");
    expect(agreementOf([undefined, "sad", undefined])).toBe("n/a");
  });
});

describe("the sample page's charts", () => {
  it("draw the AU curves, the threshold at its intensity, the peak frame at its time, and the active frames", () => {
    const times = [0, 0.1, 0.2, 0.3, 0.4];
    const svg = renderAuTimelineSvg({
      times, valid: [1, 1, 0, 1, 1], threshold: 1, peakRow: 3, peakFrame: 3, marks: [{ row: 1, label: "MER-Factory peak" }],
      series: [{ au: "AU12", name: "Lip corner puller", role: "fired", values: [0, 0.5, NaN, 2.5, 1], active: [false, false, true, true, true] }],
    });
    // plot: x from 40 to 610 over 0..0.4 s, y from 198 (0) to 18 (5)
    expect(svg).toMatch(/class="peak-line" data-frame="3" x1="467.5"/);
    expect(svg).toMatch(/class="threshold" x1="40" x2="610" y1="162"/);
    expect(svg).toMatch(/class="rule-frame" x1="182.5"/);
    expect(svg).toContain('d="M40 198L182.5 180 M467.5 108L610 162"'); // the missing cell breaks the curve
    expect(svg.match(/class="active"/g)).toHaveLength(2); // row 2 is active but not valid
    expect(svg.match(/class="invalid"/g)).toHaveLength(1);
  });

  it("draw pitch with gaps where unvoiced and loudness, the peak time marked", () => {
    const svg = renderProsodySvg({ hopS: 0.5, f0Hz: [null, 100, 200, null], levelDb: [-120, -30, -20, -25], markS: 1 });
    expect(svg).toContain('data-track="pitch" d="M182.5 100L325 10"');
    expect(svg).toMatch(/class="peak-line" x1="325"/);
    expect(svg).toContain("-80 to -20 dB");
  });

  it("marks the lip check's syllables under the loudness: opened, shut, not seen", () => {
    const syllables = [{ atS: 0.5, opening: 1.4, opened: true }, { atS: 1, opening: 0.2, opened: false }, { atS: 1.5, opening: null, opened: false }, { atS: 9, opening: 1, opened: true }];
    const svg = renderProsodySvg({ hopS: 0.5, f0Hz: [null, 100, 200, null], levelDb: [-120, -30, -20, -25], syllables });
    const marks = [...svg.matchAll(/data-lips="(\w+)".*?<title>([^<]*)<\/title>/g)].map((m) => [m[1], m[2]]);
    expect(marks).toEqual([
      ["opened", "syllable at 0.5 s: lips opened by 1.4"],
      ["shut", "syllable at 1 s: lips did not open (0.2)"],
      ["unseen", "syllable at 1.5 s: face not seen"],
    ]); // the one after the tracks' end is left out
    expect(renderProsodySvg({ hopS: 0.5, f0Hz: [100], levelDb: [-20] })).not.toContain("syllable");
  });
});
