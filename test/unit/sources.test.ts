import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isSafeId, shortHash, toLegacySafeId, toSafeId } from "../../src/core/ids.ts";
import { writeJsonAtomic } from "../../src/core/fs.ts";
import { findUnlisted, readRunSampleIds, writeListing } from "../../src/core/run-samples.ts";
import { assignIds } from "../../src/sources/assign-ids.ts";
import { merrFolderKind } from "../../src/sources/folder.ts";
import { loadSamples } from "../../src/sources/index.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

/** A run folder holding samples made from these clips (`samples/<id>/sample.json`, as a build writes it). */
async function runHolding(clips: Record<string, string | undefined>): Promise<string> {
  const out = await tempOutDir();
  for (const [id, clip] of Object.entries(clips)) {
    await mkdir(path.join(out, "samples", id, "stages"), { recursive: true });
    if (clip) await writeJsonAtomic(path.join(out, "samples", id, "sample.json"), { id, sample: { id, path: clip, source: "folder" }, status: "done" });
  }
  return out;
}

describe("sample ids", () => {
  it("are safe file names", () => {
    expect(toSafeId("été clip 1")).toBe("ete_clip_1");
    expect(toSafeId("../../etc/passwd")).toBe("etc_passwd");
    expect(toSafeId("a:b")).toBe("a_b");
    expect(toSafeId("12345")).toBe("s12345");
    for (const s of ["été clip 1", "../x", "a b:c", "sample_00000003", "x".repeat(300)]) expect(isSafeId(toSafeId(s))).toBe(true);
  });

  it("keep the letters of every script, in NFC, within 100 UTF-8 bytes, and avoid names Windows reserves", () => {
    expect(toSafeId("名前")).toBe("名前");
    expect(toSafeId("日本語 インタビュー")).toBe("日本語_インタビュー");
    expect(toSafeId("Søren")).toBe("Søren");
    expect(toSafeId("Ёлка")).toBe("Ёлка"); // a Cyrillic letter keeps its mark: only Latin accents fold to ASCII
    expect(toSafeId("नमस्ते")).toBe("नमस्ते"); // combining vowel signs stay with their letters
    // One id per name whatever the normal form the file system hands back (macOS HFS+ gives NFD).
    expect(toSafeId("한국어".normalize("NFD"))).toBe("한국어".normalize("NFC"));
    expect(toSafeId("ｶﾀｶﾅ")).toBe("カタカナ");
    // Separators, control and format characters, emoji and Windows' <>:"|?* become "_".
    expect(toSafeId("a/b\\c\u0000d\u202Ee<f>g|h?i*j😀")).toBe("a_b_c_d_e_f_g_h_i_j");
    expect(toSafeId("😀")).toBe("sample");
    expect(toSafeId("con")).toBe("con_");
    expect(toSafeId("NUL.backup")).toBe("NUL_.backup");
    expect(toSafeId("com1")).toBe("com1_");
    expect(toSafeId("console")).toBe("console");
    const long = toSafeId("名".repeat(200));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(100);
    expect(long).toMatch(/^名+_[0-9a-f]{8}$/);
    for (const s of ["名前", "Søren", "한국어".normalize("NFD"), "con", "名".repeat(200), "١٢٣", "\u0301x"]) expect(isSafeId(toSafeId(s)), s).toBe(true);
    expect(isSafeId("a/b")).toBe(false);
    expect(isSafeId("con")).toBe(false);
    expect(isSafeId("e\u0301")).toBe(false); // not NFC
  });

  it("of stems that fold to ASCII are what they were before Unicode letters were kept", () => {
    const stems = ["1001_DFA_ANG_XX", "sample_00000003", "été clip 1", "Crème brûlée", "a b:c", "../../etc/passwd", "12345", "x".repeat(300), "ＡＢＣ", "-._x._-", "a..b"];
    for (const s of stems) expect(toSafeId(s), s).toBe(toLegacySafeId(s));
  });

  it("of clips named in another script are their names, several of one name apart by a hash", () => {
    const ids = assignIds([
      { path: "/d/名前.mp4", relative: "名前.mp4" },
      { path: "/d/b/名前.mp4", relative: "b/名前.mp4" },
      { path: "/d/猫.mp4", relative: "猫.mp4" },
    ]).map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(["猫", `名前_${shortHash("名前.mp4", 6)}`, `名前_${shortHash("b/名前.mp4", 6)}`]));
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

describe("sample ids in a run that already holds samples", () => {
  const ep01 = { path: "/c/ep01/clip001.flv", relative: "ep01/clip001.flv" };
  const ep02 = { path: "/c/ep02/clip001.flv", relative: "ep02/clip001.flv" };
  const h = (c: { relative: string }, stem = "clip001"): string => `${stem}_${shortHash(c.relative, 6)}`;
  const ids = (list: ReturnType<typeof assignIds>): Record<string, string> => Object.fromEntries(list.map((c) => [c.relative, c.id]));

  it("a clip keeps its id when a file with its stem is added; only the new clip gets the hashed id", async () => {
    // A new run: both hashed, as before.
    expect(ids(assignIds([ep01, ep02]))).toEqual({ [ep01.relative]: h(ep01), [ep02.relative]: h(ep02) });
    const run = await runHolding({ clip001: ep01.path });
    expect(ids(assignIds([ep01, ep02], readRunSampleIds(run)))).toEqual({ [ep01.relative]: "clip001", [ep02.relative]: h(ep02) });
    expect(ids(assignIds([ep02, ep01], readRunSampleIds(run)))).toEqual({ [ep01.relative]: "clip001", [ep02.relative]: h(ep02) });
    // The run's clip001 was another clip (deleted since): neither takes its id in the collision.
    const other = await runHolding({ clip001: "/c/old/clip001.flv" });
    expect(ids(assignIds([ep01, ep02], readRunSampleIds(other)))).toEqual({ [ep01.relative]: h(ep01), [ep02.relative]: h(ep02) });
    // The whole input folder moved (/c -> /data/c): each clip keeps its id, and with it its records and reviews.
    const moved = (c: { path: string; relative: string }) => ({ ...c, path: `/data${c.path}` });
    expect(ids(assignIds([moved(ep01), moved(ep02)], readRunSampleIds(run)))).toEqual({ [ep01.relative]: "clip001", [ep02.relative]: h(ep02) });
  });

  it("a clip keeps its hashed id when the clip it collided with is gone", async () => {
    const run = await runHolding({ [h(ep01)]: ep01.path, [h(ep02)]: ep02.path });
    expect(ids(assignIds([ep01], readRunSampleIds(run)))).toEqual({ [ep01.relative]: h(ep01) });
    // In a new run the lone clip gets its stem.
    expect(ids(assignIds([ep01]))).toEqual({ [ep01.relative]: "clip001" });
  });

  it("a sample interrupted before its sample.json is known from the last build's listing", async () => {
    const run = await runHolding({ clip001: undefined });
    await writeListing(run, { source: "folder", listedAt: "2025-01-01T00:00:00.000Z", samples: [{ id: "clip001", path: ep01.path }] });
    expect(ids(assignIds([ep01, ep02], readRunSampleIds(run)))).toEqual({ [ep01.relative]: "clip001", [ep02.relative]: h(ep02) });
  });

  it("a clip keeps the id the earlier ASCII-only rule gave it; a new clip does not take that id", async () => {
    const named = { path: "/c/名前.mp4", relative: "名前.mp4" };
    const plain = { path: "/c/sample.mp4", relative: "sample.mp4" };
    const run = await runHolding({ sample: named.path });
    expect(ids(assignIds([named, plain], readRunSampleIds(run)))).toEqual({ [named.relative]: "sample", [plain.relative]: h(plain, "sample") });
    expect(ids(assignIds([named, plain]))).toEqual({ [named.relative]: "名前", [plain.relative]: "sample" });
  });

  it("the run's samples its source no longer lists are found from the listing", async () => {
    const run = await runHolding({ clip001: ep01.path, [h(ep01)]: ep01.path, [h(ep02)]: ep02.path });
    expect(findUnlisted(run)).toBeUndefined(); // a run built before merr wrote a listing
    await writeListing(run, { source: "folder", input: "/c", listedAt: "2025-01-01T00:00:00.000Z", samples: [{ id: "clip001", path: ep01.path }, { id: h(ep02), path: ep02.path }] });
    expect(findUnlisted(run)).toEqual({ source: "folder", input: "/c", listed: 2, ids: [h(ep01)], examples: [{ id: h(ep01), path: ep01.path, listedAs: "clip001" }] });
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
    // one clip given as the folder, a folder given as the manifest: said so, with the flag the user typed
    await expect(loadSamples({ source: "folder", input: path.join(dir, "a.mp4") })).rejects.toThrow(/--input .*a\.mp4: is a file, not a folder; give the folder that holds the clips/);
    await expect(loadSamples({ source: "manifest", input: dir })).rejects.toThrow(`--input ${dir}: is a folder, not a CSV file`);
    await expect(loadSamples({ source: "folder" })).rejects.toThrow(/needs --input/);
  });

  it("folder: skips hidden files and folders and the run and export folders merr wrote, and says so once", async () => {
    const dir = await tempOutDir();
    const put = async (rel: string, content = ""): Promise<void> => {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), content);
    };
    await put("good.mp4");
    await put("._good.mp4", "\0".repeat(4096)); // macOS AppleDouble metadata
    await put(".hidden/clip.mp4");
    await put("clips/.clip.1234.abcdef01.tmp.mp4"); // a temp file
    await put("clips/keep.mkv");
    // What `merr build --out X/merr-out` and `merr export --out X/merr-export` leave inside the input.
    await put("merr-out/run.json", "{}");
    await put("merr-out/samples/good/sample.json", "{}");
    await put("merr-out/cache/view/good.mp4");
    await put("merr-export/export-report.json", "{}");
    await put("merr-export/videos/good.mp4");
    const notes: string[] = [];
    const s = await loadSamples({ source: "folder", input: dir, notes });
    expect(s.map((x) => x.id)).toEqual(["good", "keep"]);
    expect(notes).toEqual([
      `--input ${dir}: skipped 2 folders merr wrote, whose videos are merr's copies: merr-export (a merr export folder: export-report.json), merr-out (a merr run folder: run.json, samples/); ` +
        'and 3 hidden entries (names starting with "."; a macOS ._ file is metadata, not video): ._good.mp4, .hidden, clips/.clip.1234.abcdef01.tmp.mp4',
    ]);
    // Nothing skipped, nothing said.
    const plain = await tempOutDir();
    await writeFile(path.join(plain, "a.mp4"), "");
    const quiet: string[] = [];
    await loadSamples({ source: "folder", input: plain, notes: quiet });
    expect(quiet).toEqual([]);
  });

  it("a folder is merr's by the files merr writes there", () => {
    expect(merrFolderKind(new Set(["run.json", "samples", "summary.json"]))).toBe("run");
    expect(merrFolderKind(new Set(["run.json", "samples.json"]))).toBe("run");
    expect(merrFolderKind(new Set(["export-report.json", "videos", "MERR_fine_grained.txt"]))).toBe("export");
    expect(merrFolderKind(new Set(["run.json", "clip.mp4"]))).toBeUndefined(); // a run.json alone is not enough
    expect(merrFolderKind(new Set(["samples", "clip.mp4"]))).toBeUndefined();
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
    for (const f of ["a.mp4", "b.mp4", "c.mp4", "d.mp4"]) await writeFile(path.join(dir, f), "");
    const notes: string[] = [];
    const s = await loadSamples({ source: "manifest", input: path.join(dir, "m.csv"), notes });
    expect(s.map((x) => x.id)).toEqual(["c", "d", "escape", "fine_id"]);
    expect(notes).toHaveLength(4);
    expect(notes.shift()).toBe('--input m.csv: columns path "path", id "id", label "label" (no transcript column: transcript, text or sentence)');
    expect(notes[0]).toMatch(/1 id\(s\) rewritten to safe file names: "\.\.\/\.\.\/escape" -> escape$/);
    expect(notes[1]).toMatch(/label "ecstatic" \(lines 2, 4\) is not a MERR label; the fine and coarse sets leave those samples out unless mapped, e\.g\. merr build --map-label ecstatic=/);
    expect(notes[2]).toMatch(/label "disgust" \(line 5\)/);
  });

  it("manifest: refuses rows that would be one sample twice, naming the lines and the fix", async () => {
    const dir = await tempOutDir();
    const load = async (name: string, csv: string): Promise<unknown> => {
      await writeFile(path.join(dir, name), csv);
      return loadSamples({ source: "manifest", input: path.join(dir, name) });
    };
    // The same clip twice (a row repeated): no longer E_INTERNAL "duplicate sample id".
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

  it("manifest: an id given with a video extension is its stem; paths that name no file are counted in a note", async () => {
    const dir = await tempOutDir();
    await writeFile(path.join(dir, "a.flv"), "");
    await writeFile(path.join(dir, "m.csv"), "path,id\na.flv,a.flv\nclips/gone.mp4,gone.MP4\n");
    const notes: string[] = [];
    const s = await loadSamples({ source: "manifest", input: path.join(dir, "m.csv"), notes });
    expect(s.map((x) => x.id)).toEqual(["a", "gone"]);
    expect(notes).toContain(
      `${path.join(dir, "m.csv")}: 1 of 2 paths name no file, e.g. "clips/gone.mp4" (${path.join(dir, "clips/gone.mp4")}); a path is relative to the CSV's folder (${dir}) or absolute. ` +
        "Those samples fail at probe: correct the path column, or move the CSV beside the clips",
    );
  });

  it("mer2023-semi: a name with a video extension matches the clip's stem; names that match no clip are counted in a note", async () => {
    const dir = await tempOutDir();
    await mkdir(path.join(dir, "video"));
    for (const n of ["sample_00000001", "sample_00000002", "sample_00000003"]) await writeFile(path.join(dir, "video", `${n}.flv`), "");
    const csv = path.join(dir, "t.csv");
    const load = async (rows: string): Promise<{ s: Awaited<ReturnType<typeof loadSamples>>; notes: string[] }> => {
      await writeFile(csv, `name,chinese,english\n${rows}`);
      const notes: string[] = [];
      return { s: await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: csv, notes }), notes };
    };
    const all = await load('sample_00000001.mp4,x,"Do not forget a jacket"\nsample_00000002.mp4,x,y\nsample_00000003.MP4,x,y\n');
    expect(all.s.map((x) => [x.id, x.transcript])).toEqual([["sample_00000001", "Do not forget a jacket"], ["sample_00000002", "y"], ["sample_00000003", "y"]]);
    expect(all.notes).toHaveLength(1); // the columns; every name matched
    const some = await load("sample_00000001,x,y\nclip_1.mp4,x,y\nclip_2,x,y\n");
    expect(some.s.filter((x) => x.transcript !== undefined).map((x) => x.id)).toEqual(["sample_00000001"]);
    expect(some.notes[1]).toBe(
      '--transcripts t.csv: 1 of 3 names match a video under --input (a name matches the video\'s file stem, with or without its extension); 2 match none, e.g. "clip_1.mp4", ' +
        'while the videos are named like "sample_00000002", and 2 of 3 videos have no row. ' +
        'If the CSV is these clips\' transcription, write the video file stems (e.g. "sample_00000002") in its name column; rows for clips not under --input are ignored',
    );
  });

  it("mer2023-semi: ids are file stems, sentences from the transcription CSV", async () => {
    const dir = await tempOutDir();
    await mkdir(path.join(dir, "video"));
    for (const n of ["sample_00000003", "sample_00000047"]) await writeFile(path.join(dir, "video", `${n}.mp4`), "");
    await writeFile(path.join(dir, "t.csv"), "name,chinese,english\nsample_00000003,你好,Oh my.\n");
    const s = await loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: path.join(dir, "t.csv") });
    expect(s.map((x) => [x.id, x.transcript])).toEqual([["sample_00000003", "Oh my."], ["sample_00000047", undefined]]);
  });

  it("mer2023-semi: a name on two rows with different sentences is refused, naming the lines; a row written twice is one row", async () => {
    const dir = await tempOutDir();
    await mkdir(path.join(dir, "video"));
    for (const n of ["sample_00000003", "sample_00000004"]) await writeFile(path.join(dir, "video", `${n}.mp4`), "");
    const csv = path.join(dir, "t.csv");
    const load = () => loadSamples({ source: "mer2023-semi", input: path.join(dir, "video"), transcripts: csv });
    await writeFile(csv, "name,chinese,english\nsample_00000003,你好,Oh my.\nsample_00000004,x,Fine.\nsample_00000003.mp4,你好,Oh my.\n");
    expect((await load()).map((x) => x.transcript)).toEqual(["Oh my.", "Fine."]);
    await writeFile(csv, "name,chinese,english\nsample_00000003,你好,Oh my.\nsample_00000004,x,Fine.\nsample_00000003,你好,Something else entirely.\n");
    await expect(load()).rejects.toMatchObject({
      code: "E_DATA_INVALID",
      message: expect.stringContaining(`--transcripts ${csv}: 1 name with different sentences on different rows: "sample_00000003" (lines 2, 4); keep one row per clip`),
    });
  });
});
