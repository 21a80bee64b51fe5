import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanCueText, decodeSubtitleBytes, parseSubtitles, primaryLanguage, subtitleText } from "../../src/core/subtitles.ts";
import { chooseSubtitleFiles, matchSubtitleFiles, readSidecarSubtitles } from "../../src/sources/subtitle-files.ts";
import { tempDir } from "../helpers/temp.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SRT = `1
00:00:01,500 --> 00:00:03,000
<i>Don't forget</i> a jacket.

2
00:00:00,200 --> 00:00:01,400
{\\an8}- Wait!
- What?

3
00:00:03,100 --> 00:00:04,000
[door slams]

4
00:00:04,100 --> 00:00:05,000
♪ la la la ♪
(sighs) It's cold.
`;

describe("subtitle files read as the spoken words", () => {
  it("SubRip: cues in time order, styling, positioning, dialogue dashes and sound descriptions dropped", () => {
    const cues = parseSubtitles(SRT.replace(/\n/g, "\r\n"), "srt", "a.srt");
    expect(cues.map((c) => c.startS)).toEqual([1.5, 0.2, 4.1]);
    expect(subtitleText(cues)).toBe("Wait! What? Don't forget a jacket. It's cold.");
  });

  it("WebVTT: header, NOTE blocks, cue ids and settings, voice tags and entities", () => {
    const vtt = "WEBVTT - a title\n\nNOTE made by hand\n\nintro\n00:01.000 --> 00:02.000 align:start\n<v Anna>Fish &amp; chips?</v>\n\n00:00:02.500 --> 00:00:03.000\n<c.loud>Yes.</c> <00:00:02.800>Now.\n";
    expect(subtitleText(parseSubtitles(vtt, "vtt", "a.vtt"))).toBe("Fish & chips? Yes. Now.");
    expect(() => parseSubtitles("1\n00:00:01.000 --> 00:00:02.000\nhi\n", "vtt", "b.vtt")).toThrow(/b\.vtt:1: a WebVTT file starts with "WEBVTT"/);
  });

  it("ASS: Dialogue lines of [Events] by their Format, commas in the text kept, override blocks and \\N handled, comments skipped", () => {
    const ass = [
      "[Script Info]", "Title: x", "", "[V4+ Styles]", "Format: Name, Fontname", "Style: Default,Arial", "",
      "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
      "Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,{\\i1}Well,{\\i0} fine.",
      "Comment: 0,0:00:00.00,0:00:09.00,Default,,0,0,0,,not said",
      "Dialogue: 0,0:00:00.50,0:00:01.50,Default,,0,0,0,,我们走吧\\N快点",
    ].join("\n");
    expect(subtitleText(parseSubtitles(ass, "ass", "a.ass"))).toBe("我们走吧 快点 Well, fine.");
    expect(() => parseSubtitles("[Events]\nDialogue: 0,0:00:00.50,x\n", "ass", "c.ass")).toThrow(/c\.ass:2: a Dialogue line before the \[Events\] Format line/);
  });

  it("a cue repeated right after itself is said once; a file without cues is refused with its line", () => {
    expect(subtitleText([{ startS: 0, text: "Hi." }, { startS: 1, text: "Hi." }, { startS: 2, text: "Bye." }])).toBe("Hi. Bye.");
    expect(() => parseSubtitles("hello\nthere\n", "srt", "d.srt")).toThrow(/d\.srt:1: expected a cue/);
    expect(subtitleText(parseSubtitles("1\n00:00:01,000 --> 00:00:02,000\n[music]\n", "srt", "e.srt"))).toBe("");
    expect(cleanCueText("（笑）你好【旁白】", "srt")).toBe("你好");
  });

  it("decodes UTF-8 and UTF-16 with a byte-order mark, and refuses a legacy code page with the fix", () => {
    expect(decodeSubtitleBytes(new TextEncoder().encode("\uFEFFhi"), "a.srt").replace(/^\uFEFF/, "")).toBe("hi");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("你好", "utf16le")]);
    expect(decodeSubtitleBytes(utf16, "b.srt")).toBe("你好");
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
    expect(() => decodeSubtitleBytes(gbk, "c.srt")).toThrow(/c\.srt: not UTF-8 text; convert it, e\.g\. iconv -f GBK -t UTF-8/);
  });
});

describe("subtitle files beside a clip", () => {
  it("finds <stem>.srt and <stem>.<language>[.<kind>].srt of each video, not forced ones or another clip's", () => {
    const names = ["a.mp4", "a.srt", "a.en.srt", "a.zh-Hans.ass", "a.eng.sdh.vtt", "a.en.forced.srt", "ab.srt", "a.b.mp4", "a.b.srt", "notes.txt"];
    const found = matchSubtitleFiles("/d", names, ["/d/a.mp4", "/d/a.b.mp4"]);
    expect(found.get("/d/a.mp4")?.map((c) => [path.basename(c.file), c.language])).toEqual([
      ["a.srt", undefined], ["a.en.srt", "en"], ["a.zh-Hans.ass", "zh"], ["a.eng.sdh.vtt", "en"],
    ]);
    expect(found.get("/d/a.b.mp4")?.map((c) => path.basename(c.file))).toEqual(["a.b.srt"]);
    expect(primaryLanguage("zh-CN")).toBe("zh");
    expect(primaryLanguage("chi")).toBe("zh");
  });

  it("the English file is the subtitle; the spoken language's file gives the words as spoken", () => {
    const c = (file: string, language?: string) => ({ file, ...(language ? { language } : {}) });
    const all = [c("/d/a.zh.srt", "zh"), c("/d/a.srt"), c("/d/a.en.vtt", "en"), c("/d/a.en.srt", "en"), c("/d/a.fr.srt", "fr")];
    const zh = chooseSubtitleFiles(all, "zh");
    expect(zh.text?.file).toBe("/d/a.en.srt"); // .srt before .vtt
    expect(zh.spoken?.file).toBe("/d/a.zh.srt");
    expect(zh.ignored.map((x) => x.file).sort()).toEqual(["/d/a.en.vtt", "/d/a.fr.srt", "/d/a.srt"]);
    expect(chooseSubtitleFiles(all, "en").spoken).toBeUndefined();
    expect(chooseSubtitleFiles([c("/d/a.srt"), c("/d/a.zh.srt", "zh")], "zh").text?.file).toBe("/d/a.srt");
    // Only the spoken language: that file is the subtitle and the words as spoken at once.
    const only = chooseSubtitleFiles([c("/d/a.zh.srt", "zh")], "zh-CN");
    expect([only.text?.file, only.spoken]).toEqual(["/d/a.zh.srt", undefined]);
    expect(chooseSubtitleFiles([c("/d/a.fr.srt", "fr")], "en").text).toBeUndefined();
  });

  it("reads them for a folder's videos and says what it read, what it left out and why", async () => {
    const dir = await tempDir("merr-subtitles-");
    dirs.push(dir);
    await mkdir(path.join(dir, "sub"));
    const cue = (t: string) => `1\n00:00:00,000 --> 00:00:01,000\n${t}\n`;
    await writeFile(path.join(dir, "a.en.srt"), cue("Let's go."));
    await writeFile(path.join(dir, "a.zh.srt"), cue("我们走吧"));
    await writeFile(path.join(dir, "a.fr.srt"), cue("Allons-y."));
    await writeFile(path.join(dir, "sub", "b.srt"), Buffer.from([0x31, 0x0a, 0xc4, 0xe3, 0xba, 0xc3]));
    await writeFile(path.join(dir, "c.srt"), cue("[music]"));
    await mkdir(path.join(dir, "d.srt")); // a folder named like a subtitle file
    const videos = [path.join(dir, "a.mp4"), path.join(dir, "sub", "b.mp4"), path.join(dir, "c.mp4"), path.join(dir, "d.mp4")];
    const notes: string[] = [];
    const got = await readSidecarSubtitles(videos, "zh", dir, notes);
    expect(Object.fromEntries(got)).toEqual({ [videos[0]!]: { transcript: "Let's go.", spokenTranscript: "我们走吧" } });
    expect(notes).toEqual([
      `--input ${dir}: 1 clip takes its subtitle from 2 subtitle files beside it (<clip>.srt, <clip>.en.srt, .vtt, .ass); the others are transcribed`,
      `--input ${dir}: subtitle files in fr are not read: the subtitle is English (<clip>.en.srt), or in the spoken language (--language zh)`,
      `--input ${dir}: 2 subtitle files could not be read, and their clips are transcribed instead: d.srt: cannot be read (EISDIR); sub/b.srt: not UTF-8 text; convert it, e.g. iconv -f GBK -t UTF-8 (Chinese) or -f CP1252 (Western)`,
    ]);
  });
});
