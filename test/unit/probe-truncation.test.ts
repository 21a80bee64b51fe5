import { describe, expect, it } from "vitest";
import { parseStreamExtents, type FfprobeResult } from "../../src/adapters/tools/ffmpeg.ts";
import { isTruncated, readableExtent, summariseProbe } from "../../src/stages/probe.ts";

describe("where a file's data ends (probe)", () => {
  it("reads each stream's first time and last end from ffprobe's packet lines", () => {
    // As ffprobe prints them: a data stream's packet without a time, AAC priming before 0, B-frames out of order.
    // Columns stream_index,pts_time,dts_time,duration_time; a packet without pts counts at its dts.
    const csv = ["0,N/A,N/A,N/A", "1,-0.021333,-0.021333,0.023220", "2,0.066733,0.000000,0.033367", "2,0.000000,0.033367,0.033367", "1,0.001887,0.001887,0.023220", "2,N/A,0.100100,0.033367", "", " 1 "].join("\n");
    const e = parseStreamExtents(csv);
    expect(e.has(0)).toBe(false);
    expect(e.get(1)).toEqual({ firstS: -0.021333, endS: 0.001887 + 0.02322 });
    expect(e.get(2)?.firstS).toBe(0);
    expect(e.get(2)?.endS).toBeCloseTo(0.100100 + 0.033367, 6);
  });

  it("measures every stream but cover art, from time 0 as containers declare it, or from an earlier first packet", () => {
    const probe: FfprobeResult = {
      streams: [
        { index: 0, codec_type: "data" },
        { index: 1, codec_type: "video", codec_name: "h264" },
        { index: 2, codec_type: "audio", codec_name: "aac" },
        { index: 3, codec_type: "video", codec_name: "mjpeg", disposition: { attached_pic: 1 } },
        { index: 4, codec_type: "subtitle", codec_name: "subrip" },
      ],
    };
    const av = (first: number): Array<[number, { firstS: number; endS: number }]> => [
      [1, { firstS: first, endS: first + 1.2 }],
      [2, { firstS: first - 0.02, endS: first + 1.5 }],
    ];
    // Audio priming before 0: measured from the first packet. Cover art is left out; a data stream without times has no extent.
    expect(readableExtent(probe, new Map([...av(0), [3, { firstS: 0, endS: 10 }]]))).toEqual({ readableS: 1.52, startS: 0 });
    // Timestamps starting at 10 s (a clip cut from a recording, times kept): the end from 0, as the header's duration.
    expect(readableExtent(probe, new Map(av(10)))).toMatchObject({ readableS: 11.5, startS: 9.98 });
    // A subtitle cue running past the video counts: the declared duration includes it.
    expect(readableExtent(probe, new Map([...av(0), [4, { firstS: 0.5, endS: 3.5 }]]))?.readableS).toBe(3.52);
    expect(readableExtent(probe, new Map([[3, { firstS: 0, endS: 3 }]]))).toBeUndefined();
  });

  it("takes Motion JPEG video for the clip's video, and cover art not", () => {
    const streams = (attached: number): FfprobeResult => ({
      streams: [{ index: 0, codec_type: "video", codec_name: "mjpeg", width: 480, height: 360, avg_frame_rate: "30/1", disposition: { attached_pic: attached } }],
      format: { duration: "1.0" },
    });
    expect(summariseProbe(streams(0), 1000)).toMatchObject({ hasVideo: true, videoCodec: "mjpeg", width: 480 });
    expect(summariseProbe(streams(1), 1000).hasVideo).toBe(false);
  });

  it("calls a file cut short when more than a quarter second, and more than 5 % of it, is missing", () => {
    expect(isTruncated(2.273, 2.272)).toBe(false);
    expect(isTruncated(2.0, 1.8)).toBe(false); // 0.2 s: within frame and header rounding
    expect(isTruncated(2.0, 1.7)).toBe(true);
    expect(isTruncated(2.273, 1.158)).toBe(true);
    expect(isTruncated(60, 58)).toBe(false); // 2 s of a minute: under 5 %
    expect(isTruncated(60, 56)).toBe(true);
    expect(isTruncated(2.235, 2.272)).toBe(false); // data past the declared end (FLV metadata)
    // A 2 s clip whose times start at 10 s: 5 % of its 2 s, not of 12 s.
    expect(isTruncated(12, 11.6, 10)).toBe(true);
    expect(isTruncated(12, 11.6)).toBe(false);
  });
});
