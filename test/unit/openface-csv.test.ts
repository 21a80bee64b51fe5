import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseOpenFaceCsv, trackedFrames } from "../../src/core/openface-csv.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/openface/${name}`, import.meta.url), "utf8");
const HEADER = "frame,face_id,timestamp,confidence,success,AU01_r,AU12_r,AU01_c,AU12_c,AU28_c";

describe("parseOpenFaceCsv", () => {
  it("parses the 2.x layout (MER-Factory notebook output)", () => {
    const t = parseOpenFaceCsv(fixture("mer-factory-notebook-default.csv"));
    expect(t.layout).toBe("2.x");
    expect(t.intensityAus).toHaveLength(17);
    expect(t.presenceAus).toHaveLength(18);
    expect(t.presenceAus).toContain("AU28");
    expect(t.intensityAus).not.toContain("AU28");
    expect(t.rowCounts.total).toBe(224);
    expect(t.frame[0]).toBe(1);
    expect(t.timestamp[1]).toBeCloseTo(0.067);
    expect(t.intensity.AU25![1]).toBeCloseTo(1.0);
    expect(t.intensity.AU10![0]).toBeCloseTo(-1.31); // negative regressor output is kept as is
    // The file's last row is cut after 27 of 40 fields: kept, but not used for decisions.
    expect(t.rowCounts.malformed).toBe(1);
    expect(t.valid[223]).toBe(0);
    expect(t.rowCounts.valid).toBe(223);
    expect(trackedFrames(t)).toBe(224);
  });

  it("parses the 1.x layout (no face_id, headers with a leading space, CRLF)", () => {
    const t = parseOpenFaceCsv(fixture("pyfeat-openface-1x.csv"));
    expect(t.layout).toBe("1.x");
    expect(t.faceId).toBe(0);
    expect(t.rowCounts).toMatchObject({ total: 100, valid: 100, malformed: 0 });
    expect(t.intensityAus).toHaveLength(17);
    expect(t.confidence[0]).toBeCloseTo(0.883333);
    expect(t.timestamp[1]).toBeCloseTo(0.001);
  });

  it("reads pose and gaze columns when the file has them (OpenFace -pose -gaze), as written", () => {
    const t = parseOpenFaceCsv(fixture("pyfeat-openface-1x.csv"));
    expect(t.pose).toBeDefined();
    expect(t.gaze).toBeUndefined(); // this file has gaze vectors but no gaze_angle columns
    expect(Number.isFinite(t.pose!.rx[0]!)).toBe(true);
    expect(t.pose!.tz[0]).toBeGreaterThan(100); // millimetres from the camera
    const csv = ["frame,face_id,timestamp,confidence,success,gaze_angle_x,gaze_angle_y,pose_Tx,pose_Ty,pose_Tz,pose_Rx,pose_Ry,pose_Rz,AU01_r,AU01_c", "1,0,0.0,0.98,1,0.1,-0.2,1,2,500,0.3,-0.1,0.05,1.0,1"].join("\n");
    const g = parseOpenFaceCsv(csv);
    expect(Array.from(g.gaze!.angleY)).toEqual([-0.2]);
    expect(Array.from(g.pose!.rx)).toEqual([0.3]);
    expect(parseOpenFaceCsv(fixture("mer-factory-notebook-default.csv"))).not.toHaveProperty("pose");
  });

  it("excludes success=0 and low-confidence rows from decisions and counts them", () => {
    const csv = [
      HEADER,
      "1,0,0.00,0.98,1,1.0,0.0,1,0,0",
      "2,0,0.04,0.10,0,0.0,0.0,0,0,0",
      "3,0,0.08,0.50,1,2.0,0.0,1,0,0",
      "4,0,0.12,0.90,1,3.0,0.0,1,0,1",
    ].join("\n");
    const t = parseOpenFaceCsv(csv, { minConfidence: 0.8 });
    expect(Array.from(t.valid)).toEqual([1, 0, 0, 1]);
    expect(t.rowCounts).toMatchObject({ valid: 2, failed: 1, lowConfidence: 1, malformed: 0 });
    expect(trackedFrames(t)).toBe(3);
    const keep = parseOpenFaceCsv(csv, { minConfidence: 0, requireSuccess: false });
    expect(Array.from(keep.valid)).toEqual([1, 1, 1, 1]);
  });

  it("keeps one primary face: most successful rows, then highest mean confidence", () => {
    const csv = [
      HEADER,
      "1,0,0.00,0.90,1,0,0,0,0,0",
      "1,1,0.00,0.95,1,0,0,0,0,0",
      "2,0,0.04,0.90,1,0,0,0,0,0",
      "2,1,0.04,0.95,0,0,0,0,0,0",
      "3,1,0.08,0.99,1,0,0,0,0,0",
      "3,2,0.08,0.99,1,0,0,0,0,0",
    ].join("\n");
    const t = parseOpenFaceCsv(csv);
    // faces 0 and 1 both have 2 successful rows; face 1 has the higher mean confidence (0.97 vs 0.90).
    expect(t.faceIds).toEqual([0, 1, 2]);
    expect(t.faceId).toBe(1);
    expect(Array.from(t.frame)).toEqual([1, 2, 3]);
    expect(t.rowCounts).toMatchObject({ total: 6, primary: 3, otherFaces: 3, failed: 1 });
  });

  it("a header-only file has no rows; a file without AU columns or required columns is refused", () => {
    expect(parseOpenFaceCsv(HEADER).rowCounts.total).toBe(0);
    expect(() => parseOpenFaceCsv("frame,face_id,timestamp,confidence,success\n1,0,0,1,1", { file: "x.csv" })).toThrow(
      /\[E_DATA_INVALID\] x\.csv:1: no AU columns/,
    );
    expect(() => parseOpenFaceCsv("frame,AU01_r\n1,0", { file: "y.csv" })).toThrow(/y\.csv:1: not an OpenFace CSV: missing column\(s\) timestamp, confidence, success/);
    expect(() => parseOpenFaceCsv("", { file: "z.csv" })).toThrow(/E_DATA_INVALID.*z\.csv: empty file/);
  });

  it("a quoted file (not OpenFace's own output) goes through csv-parse with the same result; a BOM is ignored", () => {
    const plain = [HEADER, "1,0,0.00,0.98,1,1.5,0.0,1,0,0"].join("\r\n");
    const quoted = `\ufeff${plain.replace("AU01_r", '"AU01_r"').replace(",1.5,", ',"1.5",')}`;
    const a = parseOpenFaceCsv(plain);
    const b = parseOpenFaceCsv(quoted);
    expect(b.intensity.AU01![0]).toBe(1.5);
    expect(b.rowCounts).toEqual(a.rowCounts);
    expect(() => parseOpenFaceCsv(`${HEADER}\n1,"0,0`, { file: "q.csv" })).toThrow(/E_DATA_INVALID.*q\.csv: not a readable CSV/);
  });

  it("non-numeric cells make a row malformed, not a crash", () => {
    const t = parseOpenFaceCsv([HEADER, "1,0,0.00,0.98,1,abc,0.0,1,0,0", "2,0,0.04,0.98,1,1,0.0,1,0,0"].join("\n"));
    expect(t.rowCounts).toMatchObject({ malformed: 1, valid: 1 });
  });
});
