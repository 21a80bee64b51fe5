import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isSafeId, toSafeId } from "../../src/core/ids.ts";
import { assignIds } from "../../src/sources/assign-ids.ts";
import { loadSamples } from "../../src/sources/index.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

describe("sample ids", () => {
  it("are safe file names", () => {
    expect(toSafeId("été clip 1")).toBe("ete_clip_1");
    expect(toSafeId("../../etc/passwd")).toBe("etc_passwd");
    expect(toSafeId("a:b")).toBe("a_b");
    expect(toSafeId("12345")).toBe("s12345");
    expect(toSafeId("日本語")).toBe("sample");
    for (const s of ["été clip 1", "../x", "a b:c", "sample_00000003", "x".repeat(300)]) expect(isSafeId(toSafeId(s))).toBe(true);
  });

  it("two inputs with one stem get distinct ids that do not depend on listing order", () => {
    const c = [
      { path: "/d/a/x.mp4", relative: "a/x.mp4" },
      { path: "/d/b/x.mp4", relative: "b/x.mp4" },
      { path: "/d/y.mp4", relative: "y.mp4" },
    ];
    const one = assignIds(c).map((s) => s.id);
    const two = assignIds([...c].reverse()).map((s) => s.id);
    expect(one).toEqual(two);
    expect(new Set(one).size).toBe(3);
    expect(one).toContain("y");
    expect(one.filter((id) => /^x_[0-9a-f]{6}$/.test(id))).toHaveLength(2);
  });
});

describe("sources", () => {
  it("sample: six CREMA-D clips with label code and sentence", async () => {
    const s = await loadSamples({ source: "sample" });
    expect(s).toHaveLength(6);
    expect(s[0]).toMatchObject({ id: "1001_DFA_ANG_XX", label: "ANG", transcript: "Don't forget a jacket", source: "sample" });
  });

  it("folder: recursive, video extensions only; --ids and --limit select", async () => {
    const dir = await tempOutDir();
    await mkdir(path.join(dir, "sub"), { recursive: true });
    for (const f of ["a.mp4", "sub/b.MKV", "sub/c.webm", "notes.txt", "d.m4v"]) await writeFile(path.join(dir, f), "");
    const all = await loadSamples({ source: "folder", input: dir });
    expect(all.map((s) => s.id)).toEqual(["a", "b", "c", "d"]);
    expect((await loadSamples({ source: "folder", input: dir, ids: ["c", "a"] })).map((s) => s.id)).toEqual(["a", "c"]);
    expect((await loadSamples({ source: "folder", input: dir, limit: 2 })).map((s) => s.id)).toEqual(["a", "b"]);
    await expect(loadSamples({ source: "folder", input: dir, ids: ["zz"] })).rejects.toThrow(/--ids: no sample with id zz/);
    await expect(loadSamples({ source: "folder", input: path.join(dir, "missing") })).rejects.toThrow(/no such folder/);
    await expect(loadSamples({ source: "folder" })).rejects.toThrow(/needs --input/);
  });

  it("manifest: path relative to the CSV, optional id, label, transcript and the words as spoken", async () => {
    const dir = await tempOutDir();
    await writeFile(path.join(dir, "m.csv"), 'path,id,label,transcript\nclips/one.mp4,first,happy,"Hello, there"\nclips/two.mp4,,,\n');
    const s = await loadSamples({ source: "manifest", input: path.join(dir, "m.csv") });
    expect(s).toEqual([
      { id: "first", path: path.join(dir, "clips/one.mp4"), source: "manifest", label: "happy", transcript: "Hello, there" },
      { id: "two", path: path.join(dir, "clips/two.mp4"), source: "manifest", transcript: "" },
    ]);
    // A translated transcript with the words as spoken beside it (only the speaking rate reads them).
    await writeFile(path.join(dir, "zh.csv"), "path,transcript,spoken_transcript\nclips/one.mp4,Let's go.,我们走吧。\nclips/two.mp4,Hi.,\n");
    const notes: string[] = [];
    expect(await loadSamples({ source: "manifest", input: path.join(dir, "zh.csv"), notes })).toEqual([
      { id: "one", path: path.join(dir, "clips/one.mp4"), source: "manifest", transcript: "Let's go.", spokenTranscript: "我们走吧。" },
      { id: "two", path: path.join(dir, "clips/two.mp4"), source: "manifest", transcript: "Hi." },
    ]);
    expect(notes[0]).toBe('--input zh.csv: columns path "path", transcript "transcript", words as spoken "spoken_transcript" (only for the speaking rate\'s syllables)');
    await writeFile(path.join(dir, "bad.csv"), "file_name\nx.mp4\n");
    await expect(loadSamples({ source: "manifest", input: path.join(dir, "bad.csv") })).rejects.toThrow(/no path column; found .*accepted: path, file, video/);
  });

  it("manifest: reports ids it made safe and labels outside the MERR set, once per kind", async () => {
    const dir = await tempOutDir();
    await writeFile(path.join(dir, "m.csv"), "path,id,label\na.mp4,../../escape,ecstatic\nb.mp4,fine_id,ANG\nc.mp4,c,Ecstatic\nd.mp4,d,disgust\n");
    const notes: string[] = [];
    const s = await loadSamples({ source: "manifest", input: path.join(dir, "m.csv"), notes });
    expect(s.map((x) => x.id)).toEqual(["c", "d", "escape", "fine_id"]);
    expect(notes).toHaveLength(4);
    expect(notes.shift()).toBe('--input m.csv: columns path "path", id "id", label "label" (no transcript column: transcript, text or sentence)');
    expect(notes[0]).toMatch(/1 id\(s\) rewritten to safe file names: "\.\.\/\.\.\/escape" -> escape$/);
    expect(notes[1]).toMatch(/label "ecstatic" \(lines 2, 4\) is not a MERR label; the fine set leaves those samples out \(the coarse set keeps their AU pseudo-label\) unless mapped, e\.g\. merr build --map-label ecstatic=/);
    expect(notes[2]).toMatch(/label "disgust" \(line 5\)/);
  });

  it("manifest: refuses rows that would be one sample twice, naming the lines and the fix", async () => {
    const dir = await tempOutDir();
    const load = async (name: string, csv: string): Promise<unknown> => {
      await writeFile(path.join(dir, name), csv);
      return loadSamples({ source: "manifest", input: path.join(dir, name) });
    };
    // The same clip twice (the audit's row repeated): no longer E_INTERNAL "duplicate sample id".
    await expect(load("dup.csv", "path,label\na.flv,angry\na.flv,angry\n")).rejects.toThrow(
      `[E_DATA_INVALID] ${path.join(dir, "dup.csv")}: lines 2, 3 repeat the clip ${path.join(dir, "a.flv")} (id a): delete the repeated row`,
    );
    // One id given twice, to the same clip or to two clips.
    await expect(load("same.csv", "path,id\na.flv,x\nb.flv,y\na.flv,x\n")).rejects.toThrow(/same\.csv: lines 2, 4 repeat the clip .*a\.flv with one id "x": delete the repeated row/);
    await expect(load("ids.csv", "path,id\na.flv,x\nb.flv,x\n")).rejects.toThrow(/ids\.csv: lines 2, 3 give one id "x" to different clips \(a\.flv, b\.flv\): give each row its own id/);
    // A row with an id equal to the other row's file name, and several sets at once.
    await expect(load("many.csv", "path,id\na.flv,a\na.flv,\nb.flv,\nc.flv,z\nd.flv,z\n")).rejects.toThrow(
      /many\.csv: 2 sets of repeated rows \(each row must be one sample\):\n {2}- lines 5, 6 give one id "z".*\n {2}- lines 2, 3 repeat the clip .*a\.flv \(id a\)/,
    );
    // One clip under two ids is two samples, as before.
    expect((await load("two-ids.csv", "path,id\na.flv,x\na.flv,y\n")) as Array<{ id: string }>).toMatchObject([{ id: "x" }, { id: "y" }]);
  });

  it("a CSV with a header but no rows is said to be one (it was \"no path column; found no header\")", async () => {
    const dir = await tempOutDir();
    await writeFile(path.join(dir, "m.csv"), "path,id\n");
    await expect(loadSamples({ source: "manifest", input: path.join(dir, "m.csv") })).rejects.toThrow(
      `[E_DATA_INVALID] ${path.join(dir, "m.csv")} has a header but no rows (columns: path, id); add one row per clip`,
    );
    await mkdir(path.join(dir, "video"));
    await writeFile(path.join(dir, "video", "a.mp4"), "");
    await writeFile(path.join(dir, "t.csv"), "name,english\n\n");
    await expect(loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: path.join(dir, "t.csv") })).rejects.toThrow(/t\.csv has a header but no rows/);
    await writeFile(path.join(dir, "m.csv"), "");
    await expect(loadSamples({ source: "manifest", input: path.join(dir, "m.csv") })).rejects.toThrow(/no path column; found no header/);
  });

  it("mer2023-semi: ids are file stems, sentences from the transcription CSV", async () => {
    const dir = await tempOutDir();
    await mkdir(path.join(dir, "video"));
    for (const n of ["sample_00000003", "sample_00000047"]) await writeFile(path.join(dir, "video", `${n}.mp4`), "");
    await writeFile(path.join(dir, "t.csv"), "name,chinese,english\nsample_00000003,你好,Oh my.\n");
    const s = await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: path.join(dir, "t.csv") });
    expect(s.map((x) => [x.id, x.transcript])).toEqual([["sample_00000003", "Oh my."], ["sample_00000047", undefined]]);
  });
});
