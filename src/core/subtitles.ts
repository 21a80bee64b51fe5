/**
 * Subtitle files (SubRip `.srt`, WebVTT `.vtt`, Advanced SubStation `.ass`/`.ssa`) read as one line of
 * spoken text: the words of every cue in time order, without styling, positioning or the sound
 * descriptions of subtitles for the deaf ("[door slams]", "(sighs)", sung lyrics between ♪ marks), which
 * are not what the person says. Pure: text in, text out.
 */
import { MerrError } from "./errors.ts";

export const SUBTITLE_EXTENSIONS = [".srt", ".vtt", ".ass", ".ssa"] as const;
export type SubtitleFormat = "srt" | "vtt" | "ass";

export interface SubtitleCue {
  startS: number;
  text: string;
}

/** The format of a subtitle file by its extension (`undefined`: not a subtitle file merr reads). */
export function subtitleFormat(file: string): SubtitleFormat | undefined {
  const ext = file.slice(file.lastIndexOf(".")).toLowerCase();
  if (ext === ".srt") return "srt";
  if (ext === ".vtt") return "vtt";
  if (ext === ".ass" || ext === ".ssa") return "ass";
  return undefined;
}

/**
 * The text of a subtitle file's bytes: UTF-8 (with or without a byte-order mark) or UTF-16 with its
 * byte-order mark. Anything else (a legacy code page such as GBK or Windows-1252) is refused with the
 * fix, rather than read as mojibake.
 */
export function decodeSubtitleBytes(bytes: Uint8Array, name: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new MerrError("E_DATA_INVALID", `${name}: not UTF-8 text; convert it, e.g. iconv -f GBK -t UTF-8 (Chinese) or -f CP1252 (Western)`);
  }
}

const TIME = /^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*-->\s*(?:\d+:)?\d{1,2}:\d{1,2}[,.]\d{1,3}/;

function seconds(m: RegExpMatchArray): number {
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]!.padEnd(3, "0")) / 1000;
}

/** SubRip and WebVTT: blocks separated by blank lines, each with a timing line and the text after it. */
function parseTimed(text: string, name: string, vtt: boolean): SubtitleCue[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  if (vtt && !/^WEBVTT(?:\s|$)/.test(lines[0] ?? "")) throw new MerrError("E_DATA_INVALID", `${name}:1: a WebVTT file starts with "WEBVTT"`);
  const cues: SubtitleCue[] = [];
  let i = vtt ? 1 : 0;
  let sawTiming = false;
  while (i < lines.length) {
    while (i < lines.length && lines[i]!.trim() === "") i++;
    const start = i;
    while (i < lines.length && lines[i]!.trim() !== "") i++;
    const block = lines.slice(start, i);
    if (!block.length) continue;
    // WebVTT's NOTE, STYLE and REGION blocks carry no cue.
    if (vtt && /^(?:NOTE|STYLE|REGION)(?:\s|$)/.test(block[0]!)) continue;
    const at = block.findIndex((l) => TIME.test(l));
    if (at < 0 || at > 1) {
      throw new MerrError("E_DATA_INVALID", `${name}:${start + 1}: expected a cue (an optional number or id, then a timing line such as 00:00:01,000 --> 00:00:02,500)`);
    }
    sawTiming = true;
    const words = cleanCueText(block.slice(at + 1).join("\n"), vtt ? "vtt" : "srt");
    if (words) cues.push({ startS: seconds(block[at]!.match(TIME)!), text: words });
  }
  if (!sawTiming && lines.some((l) => l.trim() !== "")) throw new MerrError("E_DATA_INVALID", `${name}: no subtitle cue found`);
  return cues;
}

/** ASS/SSA: the `Dialogue:` lines of `[Events]`, fields in the order its `Format:` line gives; Text is last. */
function parseAss(text: string, name: string): SubtitleCue[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  let inEvents = false;
  let format: string[] | undefined;
  const cues: SubtitleCue[] = [];
  lines.forEach((line, n) => {
    const section = line.trim().match(/^\[(.+)\]$/);
    if (section) {
      inEvents = section[1]!.trim().toLowerCase() === "events";
      return;
    }
    if (!inEvents) return;
    const m = line.match(/^\s*(Format|Dialogue)\s*:\s?(.*)$/i);
    if (!m) return;
    if (m[1]!.toLowerCase() === "format") {
      format = m[2]!.split(",").map((f) => f.trim().toLowerCase());
      return;
    }
    if (!format) throw new MerrError("E_DATA_INVALID", `${name}:${n + 1}: a Dialogue line before the [Events] Format line`);
    const textAt = format.indexOf("text");
    const startAt = format.indexOf("start");
    if (textAt !== format.length - 1 || startAt < 0) throw new MerrError("E_DATA_INVALID", `${name}: the [Events] Format line must name Start and end with Text`);
    const fields = m[2]!.split(",");
    if (fields.length < format.length) throw new MerrError("E_DATA_INVALID", `${name}:${n + 1}: a Dialogue line with ${fields.length} of the ${format.length} fields its Format names`);
    const time = fields[startAt]!.trim().match(/^(\d+):(\d{1,2}):(\d{1,2})[.,](\d{1,3})$/);
    if (!time) throw new MerrError("E_DATA_INVALID", `${name}:${n + 1}: start time "${fields[startAt]!.trim()}" is not H:MM:SS.cc`);
    const words = cleanCueText(fields.slice(textAt).join(","), "ass");
    if (words) cues.push({ startS: seconds(time), text: words });
  });
  if (!format && lines.some((l) => /^\s*Dialogue\s*:/i.test(l))) throw new MerrError("E_DATA_INVALID", `${name}: Dialogue lines without an [Events] section and its Format line`);
  return cues;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", nbsp: " ", quot: '"', apos: "'", lrm: "", rlm: "" };

/**
 * One cue's spoken words: styling (`<i>`, `<font>`, WebVTT's `<c>`/`<v Speaker>`/inline times, ASS `{\...}`
 * override blocks) and positioning (`{\an8}`) removed, ASS line breaks (`\N`, `\n`, `\h`) as spaces, sound
 * descriptions in brackets or parentheses and sung lyrics between ♪ marks dropped, a dialogue dash at a line's
 * start dropped, whitespace collapsed. Pure.
 */
export function cleanCueText(raw: string, format: SubtitleFormat): string {
  let t = raw;
  if (format === "ass") t = t.replace(/\{[^}]*\}/g, "").replace(/\\[Nn]/g, "\n").replace(/\\h/g, " ");
  else t = t.replace(/\{\\[^}]*\}/g, "");
  t = t.replace(/<[^>\n]*>/g, "");
  if (format === "vtt") t = t.replace(/&(#\d+|[a-z]+);/gi, (m, e: string) => (e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1))) : (ENTITIES[e.toLowerCase()] ?? m)));
  t = t
    .replace(/[♪♫][^♪♫]*(?:[♪♫]|$)/g, " ")
    .replace(/\[[^\]\n]*\]|\([^)\n]*\)|（[^）\n]*）|【[^】\n]*】/g, " ")
    .split("\n")
    .map((l) => l.replace(/^\s*[-–—]\s*/, ""))
    .join(" ");
  return t.replace(/\s+/g, " ").trim();
}

/** A subtitle file's cues (`format` from {@link subtitleFormat}); E_DATA_INVALID names the file and line. */
export function parseSubtitles(text: string, format: SubtitleFormat, name: string): SubtitleCue[] {
  return format === "ass" ? parseAss(text, name) : parseTimed(text, name, format === "vtt");
}

/** The words of the cues in time order, a cue repeated right after itself said once, joined by spaces. Pure. */
export function subtitleText(cues: readonly SubtitleCue[]): string {
  const sorted = cues.map((c, i) => ({ ...c, i })).sort((a, b) => a.startS - b.startS || a.i - b.i);
  const out: string[] = [];
  for (const c of sorted) if (out[out.length - 1] !== c.text) out.push(c.text);
  return out.join(" ");
}

/** ISO 639-2 codes subtitles are often tagged with, to the ISO 639-1 code merr's `--language` uses. */
const THREE_LETTER: Readonly<Record<string, string>> = {
  eng: "en", chi: "zh", zho: "zh", cmn: "zh", jpn: "ja", kor: "ko", fre: "fr", fra: "fr", ger: "de", deu: "de",
  spa: "es", ita: "it", por: "pt", rus: "ru", ara: "ar", hin: "hi", tha: "th", vie: "vi", dut: "nl", nld: "nl",
};

/** The primary language of a code (`en-US` -> `en`, `eng` -> `en`, `zh-Hans` -> `zh`), lower case. Pure. */
export function primaryLanguage(code: string): string {
  const primary = code.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return THREE_LETTER[primary] ?? primary;
}

export interface SubtitleChoice<T> {
  /** The subtitle (MERR `text`). */
  text?: T;
  /** The words as spoken, when the subtitle is in another language. */
  spoken?: T;
  /** The others. */
  ignored: T[];
}

/**
 * Which of a clip's subtitles (files or streams, best first; `language` as {@link primaryLanguage} gives it)
 * give the subtitle and the words as spoken, for a clip spoken in `spoken`: the English one is the subtitle
 * (MERR's text is English), else one without a language, else one in the spoken language; when the clip is
 * spoken in another language, one in that language gives the words as spoken. Pure.
 */
export function chooseSubtitles<T extends { language?: string }>(sorted: readonly T[], spoken: string): SubtitleChoice<T> {
  const lang = primaryLanguage(spoken);
  const text = sorted.find((c) => c.language === "en") ?? sorted.find((c) => c.language === undefined) ?? sorted.find((c) => c.language === lang);
  const spokenOne = lang !== "en" && text?.language !== lang ? sorted.find((c) => c.language === lang) : undefined;
  return {
    ...(text ? { text } : {}),
    ...(spokenOne ? { spoken: spokenOne } : {}),
    ignored: sorted.filter((c) => c !== text && c !== spokenOne),
  };
}
