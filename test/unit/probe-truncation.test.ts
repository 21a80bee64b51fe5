import { describe, expect, it } from "vitest";
import { parseStreamExtents, type FfprobeResult } from "../../src/adapters/tools/ffmpeg.ts";
import { isTruncated, readableExtent } from "../../src/stages/probe.ts";

describe("where a file's data ends (probe)", () => {
  it("reads each stream's packet count, first time and last end from ffprobe's packet lines", () => {
    // As ffprobe prints them: a data stream's packet without a time, AAC priming before 0, B-frames out of order.
    const csv = ["0,N/A,N/A", "1,-0.021333,0.023220", "2,0.066733,0.033367", "2,0.000000,0.033367", "1,0.001887,0.023220", "2,0.033367,0.033367", "", " 1 "].join("\n");
    const e = parseStreamExtents(csv);
    expect(e.has(0)).toBe(false);
    expect(e.get(1)).toEqual({ packets: 2, firstS: -0.021333, endS: 0.001887 + 0.02322 });
    expect(e.get(2)?.packets).toBe(3);
    expect(e.get(2)?.firstS).toBe(0);
    expect(e.get(2)?.endS).toBeCloseTo(0.1001, 6);
  });

  it("measures the main video and the audio from the earliest packet, not cover art or data streams", () => {
    const probe: FfprobeResult = {
      streams: [
        { index: 0, codec_type: "data" },
        { index: 1, codec_type: "video", codec_name: "h264" },
        { index: 2, codec_type: "audio", codec_name: "aac" },
        { index: 3, codec_type: "video", codec_name: "mjpeg" },
      ],
    };
    const extents = new Map([
      [0, { packets: 1, firstS: 0, endS: 30 }],
      [1, { packets: 30, firstS: 0, endS: 1.2 }],
      [2, { packets: 60, firstS: -0.02, endS: 1.5 }],
      [3, { packets: 1, firstS: 0, endS: 10 }],
    ]);
    expect(readableExtent(probe, extents)).toEqual({ readableS: 1.52, videoPackets: 30 });
    expect(readableExtent(probe, new Map([[0, { packets: 1, firstS: 0, endS: 3 }]]))).toBeUndefined();
  });

  it("calls a file cut short when more than a quarter second, and more than 5 % of it, is missing", () => {
    expect(isTruncated(2.273, 2.272)).toBe(false);
    expect(isTruncated(2.0, 1.8)).toBe(false); // 0.2 s: within frame and header rounding
    expect(isTruncated(2.0, 1.7)).toBe(true);
    expect(isTruncated(2.273, 1.158)).toBe(true);
    expect(isTruncated(60, 58)).toBe(false); // 2 s of a minute: under 5 %
    expect(isTruncated(60, 56)).toBe(true);
    expect(isTruncated(2.235, 2.272)).toBe(false); // data past the declared end (FLV metadata)
  });
});
