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

  it("reads subtitles as players do: VTT header lines, SRT without blank lines, blank lines inside a cue", () => {
    const yt = "WEBVTT\nKind: captions\nLanguage: en\n\n00:00:01.000 --> 00:00:02.000 align:start position:0%\nHello there\n";
    expect(subtitleText(parseSubtitles(yt, "vtt", "yt.vtt"))).toBe("Hello there");
    const hls = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n1\n00:00:01.000 --> 00:00:02.000\nOne.\n";
    expect(subtitleText(parseSubtitles(hls, "vtt", "hls.vtt"))).toBe("One.");
    const packed = "1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n";
    expect(subtitleText(parseSubtitles(packed, "srt", "p.srt"))).toBe("Hello World");
    const gap = "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\nsecond\n\n2\n00:00:03,000 --> 00:00:04,000\nthird";
    expect(subtitleText(parseSubtitles(gap, "srt", "g.srt"))).toBe("first second third");
    // Numbers said at a cue's end stay in a file that does not number its cues; a blank line inside a cue keeps its last line.
    const t = (n: number) => `00:00:0${n},000 --> 00:00:0${n},900`;
    expect(subtitleText(parseSubtitles(`${t(1)}\nThe answer is\n42\n${t(2)}\nRight.\n`, "srt", "n.srt"))).toBe("The answer is 42 Right.");
    expect(subtitleText(parseSubtitles(`1\n${t(1)}\nWhat year?\n\n1984\n\n2\n${t(2)}\nYes.\n`, "srt", "y.srt"))).toBe("What year? 1984 Yes.");
    expect(subtitleText(parseSubtitles(`1\n${t(1)}\nWait.\n\nHello there.\n2\n${t(2)}\nOK.\n`, "srt", "w.srt"))).toBe("Wait. Hello there. OK.");
    expect(parseSubtitles("WEBVTT\n\nNOTE nothing yet\n", "vtt", "e.vtt")).toEqual([]);
    const utf16 = Buffer.from("1\n00:00:01,000 --> 00:00:02,000\nhi\n", "utf16le").toString("latin1");
    expect(() => parseSubtitles(utf16, "srt", "w.srt")).toThrow(/UTF-16 text without a byte-order mark/);
  });

  it("keeps what is said: numbers, comparisons, parentheses inside a sentence; drops lyrics, entities it cannot decode stay", () => {
    expect(cleanCueText("If x < 5 and y > 3 then", "srt")).toBe("If x < 5 and y > 3 then");
    expect(cleanCueText("-20 degrees\n- Really?", "srt")).toBe("-20 degrees Really?");
    expect(cleanCueText("JOHN: Let's go!\n- MARY ANN: Wait.\nI said: go. TV is on.", "srt")).toBe("Let's go! Wait. I said: go. TV is on.");
    expect(cleanCueText("I'll be there in 5 min (or so).", "srt")).toBe("I'll be there in 5 min (or so).");
    expect(cleanCueText("♪ Happy birthday to you\n♪ Happy birthday dear John ♪\nThanks!", "srt")).toBe("Thanks!");
    expect(cleanCueText("Hi &#99999999; &#x41;&#233; there", "vtt")).toBe("Hi &#99999999; Aé there");
    expect(cleanCueText("{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}Sign here", "ass")).toBe("Sign here");
    expect(cleanCueText("m 0 0 l 100 0 100 100 0 100\nSign here", "srt")).toBe("Sign here");
    // Subtitles for the deaf, as they are written: the openings in any order, dashes without a space, spans over lines.
    expect(cleanCueText("- (sighs) JOHN: It's cold.\n-Where are you going?\n-(laughs) Home.", "srt")).toBe("It's cold. Where are you going? Home.");
    expect(cleanCueText("[dramatic music\nplaying]\n(door\nslams) Hello.", "srt")).toBe("Hello.");
    expect(cleanCueText("♪ Oh say can you see\nby the dawn's early light\nwhat so proudly we hailed ♪\nSit down.", "srt")).toBe("Sit down.");
    // An all-capitals caption keeps its words; a name with accents is a name; drawings look like drawings.
    expect(cleanCueText("I TOLD HIM: GO HOME.", "srt")).toBe("I TOLD HIM: GO HOME.");
    expect(cleanCueText("ÉMILE: Salut.", "srt")).toBe("Salut.");
    expect(cleanCueText("c 3 4\nm 2", "srt")).toBe("c 3 4 m 2");
    expect(cleanCueText("a<b and c>d", "srt")).toBe("a<b and c>d");
  });

  it("decodes UTF-8 and UTF-16 with a byte-order mark, and refuses a legacy code page with the fix", () => {
    expect(subtitleText(parseSubtitles(decodeSubtitleBytes(new TextEncoder().encode("\uFEFF1\n00:00:00,000 --> 00:00:01,000\nhi\n"), "a.srt"), "srt", "a.srt"))).toBe("hi");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("你好", "utf16le")]);
    expect(decodeSubtitleBytes(utf16, "b.srt")).toBe("你好");
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3]); // 你好 in GBK
    expect(() => decodeSubtitleBytes(gbk, "c.srt")).toThrow(/c\.srt: not UTF-8 text; convert it, e\.g\. iconv -f GBK -t UTF-8/);
  });
});

describe("subtitle files beside a clip", () => {
  it("finds <stem>.srt and <stem>.<language>[.<kind>].srt of each video, not forced ones or another clip's", () => {
    const names = ["a.mp4", "a.srt", "a.en.srt", "a.zh-Hans.ass", "a.eng.sdh.vtt", "a.en.forced.srt", "ab.srt", "a.b.mp4", "a.b.srt", "notes.txt", "a.hi.srt", "a.en.hi.srt", "scene.mp4", "scene.cut.srt"];
    const found = matchSubtitleFiles("/d", names, ["/d/a.mp4", "/d/a.b.mp4", "/d/scene.mp4"]);
    expect(found.get("/d/a.mp4")?.map((c) => [path.basename(c.file), c.language, c.kind ?? false])).toEqual([
      ["a.srt", undefined, false], ["a.en.srt", "en", false], ["a.zh-Hans.ass", "zh", false], ["a.eng.sdh.vtt", "en", true], ["a.hi.srt", "hi", false], ["a.en.hi.srt", "en", true],
    ]);
    expect(found.get("/d/a.b.mp4")?.map((c) => path.basename(c.file))).toEqual(["a.b.srt"]);
    // "cut" is no language: scene.cut.srt is another clip's file, not scene's in a language "cut".
    expect(found.get("/d/scene.mp4")).toBeUndefined();
    expect(primaryLanguage("zh-CN")).toBe("zh");
    expect(primaryLanguage("chi")).toBe("zh");
    expect(primaryLanguage("pol")).toBe("pl");
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
    await writeFile(path.join(dir, "a.en.sdh.srt"), cue("JOHN: Let's go!"));
    await writeFile(path.join(dir, "a.zh.srt"), cue("我们走吧"));
    await writeFile(path.join(dir, "a.fr.srt"), cue("Allons-y."));
    await writeFile(path.join(dir, "sub", "b.srt"), Buffer.from([0x31, 0x0a, 0xc4, 0xe3, 0xba, 0xc3]));
    await writeFile(path.join(dir, "c.srt"), cue("[music]"));
    await mkdir(path.join(dir, "d.srt")); // a folder named like a subtitle file
    // e's English file cannot be read: its file without a language serves.
    await writeFile(path.join(dir, "e.en.srt"), Buffer.from([0xff, 0x31, 0x0a]));
    await writeFile(path.join(dir, "e.srt"), cue("Fine."));
    // f has a file in the spoken language only, which is then its subtitle; g.mp4 and g.mkv share one file.
    await writeFile(path.join(dir, "f.zh.srt"), cue("好的"));
    await writeFile(path.join(dir, "g.srt"), cue("Same file."));
    // h is tagged the way subtitle sites tag simplified Chinese; k's tag is no language; m's Chinese file
    // cannot be read, so its second one gives the words as spoken.
    await writeFile(path.join(dir, "h.chs.srt"), cue("你好"));
    await writeFile(path.join(dir, "k.xx.srt"), cue("Hm."));
    await writeFile(path.join(dir, "m.en.srt"), cue("Go."));
    await writeFile(path.join(dir, "m.zh.srt"), Buffer.from([0xff, 0x31, 0x0a]));
    await writeFile(path.join(dir, "m.zh.sdh.srt"), cue("走"));
    const videos = ["a.mp4", "sub/b.mp4", "c.mp4", "d.mp4", "e.mp4", "g.mkv", "g.mp4", "h.mp4", "k.mp4", "m.mp4"].map((v) => path.join(dir, v));
    const notes: string[] = [];
    const got = await readSidecarSubtitles(videos, "zh", dir, notes);
    expect(Object.fromEntries(got)).toEqual({
      [videos[0]!]: { transcript: "Let's go.", spokenTranscript: "我们走吧" },
      [videos[4]!]: { transcript: "Fine." },
      [videos[5]!]: { transcript: "Same file." },
      [videos[6]!]: { transcript: "Same file." },
      [videos[7]!]: { transcript: "你好" },
      [videos[9]!]: { transcript: "Go.", spokenTranscript: "走" },
    });
    const withF = await readSidecarSubtitles([path.join(dir, "f.mp4")], "zh", dir);
    expect(Object.fromEntries(withF)).toEqual({ [path.join(dir, "f.mp4")]: { transcript: "好的" } });
    expect(notes).toEqual([
      `--input ${dir}: 6 clips take their subtitle from the subtitle files beside them (<clip>.srt, <clip>.en.srt, .vtt, .ass; 7 files read); the other clips have none`,
      `--input ${dir}: 1 subtitle file named after a clip with a tag that is no language (k.xx.srt) is not read: name it <clip>.srt or <clip>.<language>.srt (en, zh, chs, eng...)`,
      `--input ${dir}: subtitle files in fr are not read: the subtitle is English (<clip>.en.srt), or in the spoken language (--language zh)`,
      `--input ${dir}: 4 subtitle files could not be read and are left out: d.srt: cannot be read (EISDIR); e.en.srt: not UTF-8 text; convert it, e.g. iconv -f GBK -t UTF-8 (Chinese) or -f CP1252 (Western); m.zh.srt: not UTF-8 text; convert it, e.g. iconv -f GBK -t UTF-8 (Chinese) or -f CP1252 (Western); and 1 more`,
    ]);
    expect(notes.at(-1)).not.toContain("sub/b.srt"); // the fourth: only three are named
  });
});
