/**
 * Subtitle files (SubRip `.srt`, WebVTT `.vtt`, Advanced SubStation `.ass`/`.ssa`) read as one line of
 * spoken text: the words of every cue in time order, without styling, positioning or what subtitles for the
 * deaf add ("[door slams]", "(sighs)" opening a line, "JOHN:", lines with ♪), which is not what the person
 * says. Pure: text in, text out.
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

/**
 * SubRip and WebVTT, read as players read them: a cue starts at each timing line (the line before it is the
 * cue's number in a file that numbers its cues, or a WebVTT cue id after a blank line) and holds the text lines
 * up to the next cue, blank lines inside it included. A file with no cue is empty, not an error, when it holds
 * no text either (a WebVTT header alone). WebVTT's header block (`WEBVTT`, `Kind:`, `Language:`,
 * `X-TIMESTAMP-MAP=`...) and its NOTE, STYLE and REGION blocks hold no cue text.
 */
function parseTimed(text: string, name: string, vtt: boolean): SubtitleCue[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  let i = 0;
  if (vtt) {
    if (!/^WEBVTT(?:\s|$)/.test(lines[0] ?? "")) throw new MerrError("E_DATA_INVALID", `${name}:1: a WebVTT file starts with "WEBVTT"`);
    while (i < lines.length && lines[i]!.trim() !== "") i++;
  }
  // A file that numbers its cues: a number just before a timing line is a cue number (else it may be said).
  // (It numbers the first cue too, and most of them.)
  let timings = 0;
  let numbers = 0;
  let firstNumbered: boolean | undefined;
  lines.forEach((l, n) => {
    if (!TIME.test(l)) return;
    timings += 1;
    const number = n > 0 && /^\d+$/.test(lines[n - 1]!.trim());
    if (number) numbers += 1;
    firstNumbered ??= number;
  });
  const numbered = firstNumbered === true && numbers * 2 >= timings;
  const cues: Array<{ startS: number; lines: string[] }> = [];
  let current: (typeof cues)[number] | undefined;
  let firstText = -1;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const blankBefore = i === 0 || lines[i - 1]!.trim() === "";
    if (vtt && blankBefore && /^(?:NOTE|STYLE|REGION)(?:\s|$)/.test(line)) {
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== "") i++;
      continue;
    }
    const time = line.match(TIME);
    if (time) {
      // The line before is this cue's number (a numbered file) or, in WebVTT, its id after a blank line; not
      // the last cue's text.
      const previous = i > 0 ? lines[i - 1]!.trim() : "";
      const isId = previous !== "" && (numbered ? /^\d+$/.test(previous) : vtt && (i < 2 || lines[i - 2]!.trim() === ""));
      if (isId && current && current.lines.length && current.lines.at(-1) === lines[i - 1]) current.lines.pop();
      current = { startS: seconds(time), lines: [] };
      cues.push(current);
      continue;
    }
    if (current) current.lines.push(line);
    else if (line.trim() !== "" && firstText < 0 && !(lines[i + 1] !== undefined && TIME.test(lines[i + 1]!))) firstText = i;
  }
  if (!cues.length && firstText >= 0) {
    const hint = text.slice(0, 200).includes("\u0000") ? " (UTF-16 text without a byte-order mark? save it as UTF-8)" : "";
    throw new MerrError("E_DATA_INVALID", `${name}:${firstText + 1}: expected a cue (an optional number or id, then a timing line such as 00:00:01,000 --> 00:00:02,500)${hint}`);
  }
  return cues.flatMap((c) => {
    const words = cleanCueText(c.lines.join("\n"), vtt ? "vtt" : "srt");
    return words ? [{ startS: c.startS, text: words }] : [];
  });
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

/** `&amp;`, `&#233;`, `&#xE9;`; an entity it does not know, or a number that is no character, stays as written. */
function decodeEntities(t: string): string {
  return t.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (!e.startsWith("#")) return ENTITIES[e.toLowerCase()] ?? m;
    const code = e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** A line of ASS vector drawing commands (`m 0 0 l 100 0 100 100`), which ffmpeg's SubRip output keeps as text. */
const DRAWING = /^\s*m\s+-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?(?:\s+[mnlbspc](?:\s+-?\d+(?:\.\d+)?)+)*\s*$/;

/** Tags subtitles use (SubRip's `<i>`, `<font>`; WebVTT's `<c.x>`, `<v Name>`, `<ruby>`...) and WebVTT inline times. */
const TAG = /<\/?(?:i|b|u|s|ruby|rt)>|<\/?(?:font|c|v|lang|span)(?:[\s.][^<>\n]*)?>|<\d[\d:.]*>/gi;

/**
 * What opens a line and is not said: a dialogue dash (`- `, `-Where`; not `-20`), a sound description in
 * parentheses (`(sighs) `) and a speaker's name in capitals before a colon (`JOHN: `, `MARY ANN: `; at most
 * three words, and only before words with lower-case letters, so an all-capitals caption keeps its words).
 */
function stripLineOpening(line: string): string {
  let l = line;
  for (let before = ""; before !== l; ) {
    before = l;
    l = l
      .replace(/^\s*[-–—](?!\d)\s*/, "")
      .replace(/^\s*(?:\([^)]*\)|（[^）]*）)\s*/, "")
      .replace(/^\s*\p{Lu}[\p{Lu}\d.'’-]*(?:\s+\p{Lu}[\p{Lu}\d.'’-]*){0,2}:\s+(?=.*\p{Ll})/u, "");
  }
  return l;
}

/**
 * One cue's spoken words: styling (`<i>`, `<font>`, WebVTT's `<c>`/`<v Speaker>`/inline times, ASS `{\...}`
 * override blocks and `\p1` drawings) and positioning (`{\an8}`) removed, ASS line breaks (`\N`, `\n`, `\h`)
 * as spaces; dropped as not said: sound descriptions in brackets (`[door slams]`, `【...】`, over several lines
 * too) and in parentheses that open a line (`(sighs) It's cold.`), sung lyrics (from the first ♪ of a cue to
 * its last, and any line with a ♪), drawing commands, and what {@link stripLineOpening} removes. Whitespace
 * collapsed. Pure.
 */
export function cleanCueText(raw: string, format: SubtitleFormat): string {
  let t = raw;
  if (format === "ass") t = t.replace(/\{[^}]*\\p[1-9][^}]*\}[^{]*/g, "").replace(/\{[^}]*\}/g, "").replace(/\\[Nn]/g, "\n").replace(/\\h/g, " ");
  else t = t.replace(/\{\\[^}]*\}/g, "");
  t = t.replace(TAG, "");
  if (format === "vtt") t = decodeEntities(t);
  t = t
    .replace(/\[[^\]]*\]|【[^】]*】/g, " ")
    .replace(/[♪♫][\s\S]*[♪♫]/g, " ")
    // A description in parentheses that opens a line, over several lines too ("(door\nslams) Hi.").
    .replace(/(^|\n)([ \t]*[-–—]?[ \t]*)(?:\([^)]*\)|（[^）]*）)/g, "$1$2");
  return t
    .split("\n")
    .filter((l) => !/[♪♫]/.test(l) && !DRAWING.test(l))
    .map(stripLineOpening)
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
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

/** ISO 639-1: the two-letter language codes. */
const ISO_639_1 = new Set(
  ("aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu " +
    "fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn " +
    "ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os " +
    "pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw " +
    "ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu").split(" "),
);

/**
 * ISO 639-2 codes (bibliographic and terminology forms) that subtitle files and Matroska tracks are tagged
 * with, to the ISO 639-1 code merr's `--language` uses; Cantonese (`yue`, ISO 639-3) stays itself. Also the
 * tags subtitle sites use for Chinese (`chs`, `cht`, `sc`, `tc`, `cn`: simplified, traditional; `sc` is
 * Sardinian in ISO 639-1, rarer in subtitles than simplified Chinese), `jp` and the withdrawn `iw`, `in`.
 */
const LANGUAGE_ALIASES: ReadonlyMap<string, string> = new Map(
  (
    "chs:zh cht:zh sc:zh tc:zh cn:zh jp:ja iw:he in:id eng:en chi:zh zho:zh cmn:zh yue:yue jpn:ja kor:ko fre:fr fra:fr ger:de deu:de spa:es ita:it por:pt rus:ru ara:ar hin:hi " +
    "tha:th vie:vi dut:nl nld:nl pol:pl swe:sv heb:he tur:tr ell:el gre:el ind:id may:ms msa:ms fin:fi dan:da nor:no nob:nb " +
    "nno:nn cze:cs ces:cs slo:sk slk:sk hun:hu rum:ro ron:ro bul:bg ukr:uk hrv:hr srp:sr slv:sl est:et lav:lv lit:lt per:fa " +
    "fas:fa urd:ur ben:bn tam:ta tel:te mal:ml kan:kn mar:mr guj:gu pan:pa fil:tl tgl:tl cat:ca baq:eu eus:eu glg:gl ice:is " +
    "isl:is gle:ga wel:cy cym:cy arm:hy hye:hy geo:ka kat:ka alb:sq sqi:sq mac:mk mkd:mk bos:bs mon:mn khm:km lao:lo bur:my " +
    "mya:my nep:ne sin:si swa:sw afr:af amh:am yor:yo zul:zu xho:xh hau:ha som:so kaz:kk uzb:uz aze:az tat:tt bel:be lat:la"
  )
    .split(" ")
    .map((pair) => pair.split(":") as [string, string]),
);

/** The primary language of a code (`en-US` -> `en`, `eng` -> `en`, `zh-Hans` -> `zh`), lower case. Pure. */
export function primaryLanguage(code: string): string {
  const primary = code.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return LANGUAGE_ALIASES.get(primary) ?? primary;
}

/** Whether a tag names a language (`en`, `eng`, `zh-Hans`, `pt_BR`, `yue`): a name part such as `cut` does not. Pure. */
export function isLanguageTag(tag: string): boolean {
  const m = /^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$/i.exec(tag.trim());
  if (!m) return false;
  const primary = m[1]!.toLowerCase();
  return ISO_639_1.has(primary) || LANGUAGE_ALIASES.has(primary);
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
