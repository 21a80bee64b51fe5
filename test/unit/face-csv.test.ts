import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { displaySize, pixelAspect } from "../../src/adapters/tools/ffmpeg.ts";
import { formatCsv, openFaceColumns } from "../../src/adapters/face/builtin/openface-csv.ts";
import { analysisSize, keepFrame, scaledSize } from "../../src/adapters/face/frames.ts";
import { projectPath } from "../../src/core/paths.ts";

describe("OpenFace CSV layout", () => {
  it("matches the header of real OpenFace 2.x output (AUs only)", () => {
    const real = readFileSync(projectPath("test/fixtures/openface/mer-factory-notebook-default.csv"), "utf8").split("\n")[0];
    expect(openFaceColumns(false).join(",")).toBe(real);
  });

  it("puts gaze and pose columns between the base and AU columns", () => {
    const cols = openFaceColumns(true);
    expect(cols.slice(0, 5)).toEqual(["frame", "face_id", "timestamp", "confidence", "success"]);
    expect(cols.slice(5, 13)).toEqual(["gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z", "gaze_angle_x", "gaze_angle_y"]);
    expect(cols.slice(13, 19)).toEqual(["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]);
    expect(cols[19]).toBe("AU01_r");
    expect(cols.at(-1)).toBe("AU45_c");
  });

  it("writes success=0 rows with zeros when there is no face", () => {
    const csv = formatCsv([{ frame: 3, timestampS: 0.0667, confidence: 0.9 }], false);
    const [header, row] = csv.trim().split("\n");
    const cells = row?.split(",") ?? [];
    expect(cells.length).toBe(header?.split(",").length);
    expect(cells.slice(0, 5)).toEqual(["3", "0", "0.067", "0.00", "0"]);
    expect(cells.slice(5).every((c) => Number(c) === 0)).toBe(true);
  });
});

describe("frame selection", () => {
  it("keeps every frame without a cap and the first frame of each slot with one", () => {
    expect(keepFrame(7, 30, undefined, 3)).toBe(7);
    const kept: number[] = [];
    let last = -1;
    for (let i = 0; i < 60; i++) {
      const slot = keepFrame(i, 30, 10, last);
      if (slot !== undefined) {
        kept.push(i);
        last = slot;
      }
    }
    expect(kept.length).toBe(20);
    expect(kept.slice(0, 3)).toEqual([0, 3, 6]);
  });

  it("downscales to even sizes keeping the aspect ratio", () => {
    expect(scaledSize(1920, 1080, 960)).toEqual({ width: 960, height: 540 });
    expect(scaledSize(480, 360, 960)).toEqual({ width: 480, height: 360 });
  });
});

describe("rotated video streams (phone videos)", () => {
  it("take the display size, as ffmpeg decodes them upright", () => {
    expect(displaySize({ width: 1920, height: 1080, side_data_list: [{ rotation: -90 }] })).toEqual({ width: 1080, height: 1920 });
    expect(displaySize({ width: 1920, height: 1080, tags: { rotate: "270" } })).toEqual({ width: 1080, height: 1920 });
    expect(displaySize({ width: 1920, height: 1080, side_data_list: [{ rotation: 180 }] })).toEqual({ width: 1920, height: 1080 });
    expect(displaySize({ width: 640, height: 480 })).toEqual({ width: 640, height: 480 });
  });
});

describe("anamorphic video streams (non-square pixels)", () => {
  it("are analysed in square pixels, widened by the sample aspect ratio", () => {
    const pal = { width: 720, height: 576, sample_aspect_ratio: "64:45" };
    expect(pixelAspect(pal)).toBeCloseTo(64 / 45);
    expect(analysisSize({ width: 720, height: 576, pixelAspect: pixelAspect(pal) })).toEqual({ width: 1024, height: 576 });
    expect(analysisSize({ width: 720, height: 576, pixelAspect: pixelAspect(pal) }, 960)).toEqual({ width: 960, height: 540 });
    // Square or unknown ("0:1") pixels change nothing; a stream shown rotated has the ratio along its height.
    expect(pixelAspect({ sample_aspect_ratio: "1:1" })).toBe(1);
    expect(pixelAspect({ sample_aspect_ratio: "0:1" })).toBe(1);
    expect(pixelAspect({})).toBe(1);
    expect(pixelAspect({ sample_aspect_ratio: "4:3", side_data_list: [{ rotation: 90 }] })).toBeCloseTo(3 / 4);
    // A whole ffprobe stream (its own width and height do not matter).
    const hdv = { width: 1440, height: 1080, sample_aspect_ratio: "4:3" };
    expect(pixelAspect(hdv)).toBeCloseTo(4 / 3);
    expect(pixelAspect({ ...hdv, side_data_list: [{ rotation: 90 }] })).toBeCloseTo(3 / 4);
    expect(analysisSize({ width: 480, height: 360 })).toEqual({ width: 480, height: 360 });
  });
});
