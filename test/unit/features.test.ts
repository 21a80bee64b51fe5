import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clipIndices, meanPool, normaliseWaveform, squareCrop, writeFaceCrop } from "../../src/adapters/features/preprocess.ts";
import { fillPlaceholders, resolveFeatureSpecs, sha256File, splitTemplate } from "../../src/adapters/features/spec.ts";
import { readFeatureNpy } from "../../src/adapters/features/validate.ts";
import { encodeNpyFloat32 } from "../../src/export/npy.ts";
import { tempDir } from "../helpers/temp.ts";

describe("--features specs", () => {
  it("splits command templates into argv without a shell", () => {
    expect(splitTemplate(`my-extractor "my extractor.py" --x 'a b' {faces}\\ x {out}`)).toEqual(["my-extractor", "my extractor.py", "--x", "a b", "{faces} x", "{out}"]);
    expect(() => splitTemplate(`my-extractor "x`)).toThrow(/unclosed/);
    expect(fillPlaceholders(["x", "--in={audio}", "{out}", "$(rm -rf /)"], { audio: "/a.wav", frames: "", faces: "", video: "", out: "/o.npy" })).toEqual([
      "x", "--in=/a.wav", "/o.npy", "$(rm -rf /)",
    ]);
  });

  it("resolves encoders, hashes model files, and refuses what it cannot use", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "m.onnx"), "model bytes");
    const specs = await resolveFeatureSpecs(["HL-UTT=onnx:m.onnx,mae_340_UTT=command:x --a=1,2 {faces} {out}"], dir);
    expect(specs["HL-UTT"]).toEqual({ kind: "onnx", model: path.join(dir, "m.onnx"), sha256: await sha256File(path.join(dir, "m.onnx")) });
    expect(specs["mae_340_UTT"]).toEqual({ kind: "command", argv: ["x", "--a=1,2", "{faces}", "{out}"] });
    expect(specs["maeV_399_UTT"]).toBeUndefined();
    await expect(resolveFeatureSpecs(["HL=onnx:m.onnx"], dir)).rejects.toThrow(/encoder one of HL-UTT, mae_340_UTT, maeV_399_UTT/);
    await expect(resolveFeatureSpecs(["HL-UTT=onnx:missing.onnx"], dir)).rejects.toThrow(/cannot read the model .*missing.onnx/);
    await expect(resolveFeatureSpecs(["HL-UTT=command:x {wav} {out}"], dir)).rejects.toThrow(/unknown placeholder \{wav\}/);
    await expect(resolveFeatureSpecs(["HL-UTT=command:x {audio}"], dir)).rejects.toThrow(/must write \{out\}/);
    await expect(resolveFeatureSpecs(["HL-UTT=onnx:m.onnx", "HL-UTT=onnx:m.onnx"], dir)).rejects.toThrow(/configured twice/);
  });
});

describe("preprocessing", () => {
  it("normalises the waveform to zero mean and unit variance, and leaves silence at zero", () => {
    const w = normaliseWaveform(Float32Array.from({ length: 1000 }, (_, i) => 0.3 + 0.1 * Math.sin(i / 5)));
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const variance = w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(variance).toBeCloseTo(1, 3);
    expect([...normaliseWaveform(new Float32Array(10).fill(0.2))].every((x) => x === 0)).toBe(true);
  });

  it("crops a square around the face inside the frame", () => {
    expect(squareCrop([100, 100, 50, 80], 640, 480, 0.25)).toEqual([75, 90, 100, 100]);
    expect(squareCrop([0, 0, 50, 50], 640, 480, 0.2)).toEqual([0, 0, 60, 60]);
    expect(squareCrop([600, 440, 60, 60], 640, 480, 0)).toEqual([580, 420, 60, 60]);
  });

  it("resizes and ImageNet-normalises a crop into planar CHW", () => {
    const rgb = new Uint8Array(4 * 4 * 3);
    for (let p = 0; p < 16; p++) rgb.set([255, 0, 128], p * 3);
    const out = new Float32Array(3 * 8 * 8);
    writeFaceCrop(rgb, 4, 4, [0, 0, 4, 4], out, 0, 64, 8);
    expect(out[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(out[64]).toBeCloseTo((0 - 0.456) / 0.224, 4);
    expect(out[128 + 63]).toBeCloseTo((128 / 255 - 0.406) / 0.225, 4);
  });

  it("samples VideoMAE's 16 frames as 8 segments x 2, repeating frames of a short clip", () => {
    expect(clipIndices(80)).toEqual([4, 5, 14, 15, 24, 25, 34, 35, 44, 45, 54, 55, 64, 65, 74, 75]);
    expect(clipIndices(16)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(clipIndices(3)).toEqual([0, 1, 0, 1, 0, 1, 1, 2, 1, 2, 1, 2, 2, 2, 2, 2]);
    expect(clipIndices(1)).toEqual(new Array(16).fill(0));
    expect(clipIndices(0)).toEqual([]);
  });

  it("mean-pools every axis but the last", () => {
    expect([...meanPool(Float32Array.from([1, 2, 3, 4, 5, 6]), 2)]).toEqual([3, 4]);
  });
});

describe("readFeatureNpy", () => {
  const write = async (name: string, data: Uint8Array | string): Promise<string> => {
    const file = path.join(await tempDir(), name);
    await writeFile(file, data);
    return file;
  };
  const good = Float32Array.from({ length: 1024 }, (_, i) => i / 1024);

  it("reads one finite float32 (1024,) vector", async () => {
    expect([...(await readFeatureNpy(await write("ok.npy", encodeNpyFloat32(good)), "x"))]).toEqual([...good]);
  });

  it.each([
    ["an empty file", "", /empty file .*e\.npy \(0 bytes\); expected one float32 vector of shape \(1024,\), finite/],
    ["not .npy", "hello world, not numpy", /e\.npy, which is not an \.npy file/],
    ["(1, 1024)", encodeNpyFloat32(good, [1, 1024]), /shape \(1, 1024\), expected \(1024,\)/],
    ["(512,)", encodeNpyFloat32(good.subarray(0, 512)), /shape \(512,\), expected \(1024,\)/],
    ["Inf", encodeNpyFloat32(Float32Array.from(good, (v, i) => (i === 3 ? Infinity : v))), /holds Infinity at index 3/],
    ["-Inf", encodeNpyFloat32(Float32Array.from(good, (v, i) => (i === 1023 ? -Infinity : v))), /holds -Infinity at index 1023/],
    ["truncated", encodeNpyFloat32(good).subarray(0, 2000), /truncated: 2000 bytes, expected 4224/],
  ])("refuses %s, naming the file and what was expected", async (_, data, message) => {
    const file = await write("e.npy", data);
    await expect(readFeatureNpy(file, "the command x")).rejects.toMatchObject({ code: "E_MODEL_OUTPUT_INVALID", retryable: false, message: expect.stringMatching(message) });
    await expect(readFeatureNpy(file, "the command x")).rejects.toThrow(file);
  });

  it("refuses float16 and int32 vectors of the right shape", async () => {
    const as = (descr: string): Uint8Array => {
      const bytes = encodeNpyFloat32(good);
      const at = Buffer.from(bytes).indexOf("<f4");
      bytes.set(Buffer.from(descr, "latin1"), at);
      return bytes;
    };
    await expect(readFeatureNpy(await write("h.npy", as("<f2")), "x")).rejects.toThrow(/dtype <f2, expected <f4/);
    await expect(readFeatureNpy(await write("i.npy", as("<i4")), "x")).rejects.toThrow(/dtype <i4, expected <f4/);
    await expect(readFeatureNpy(await write("b.npy", as(">f4")), "x")).rejects.toThrow(/dtype >f4, expected <f4/);
  });

  it("reports a missing output file", async () => {
    await expect(readFeatureNpy(path.join(await tempDir(), "none.npy"), "the command x")).rejects.toThrow(/the command x wrote no .*none\.npy \(ENOENT\)/);
  });
});
