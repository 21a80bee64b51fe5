import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../core/errors.ts";
import {
  chooseSubtitles, decodeSubtitleBytes, isLanguageTag, parseSubtitles, primaryLanguage, subtitleFormat, subtitleText, SUBTITLE_EXTENSIONS, type SubtitleChoice,
} from "../core/subtitles.ts";

/**
 * Subtitle files beside a clip, as players find them: `<stem>.srt` (language not said) and
 * `<stem>.<language>[.<tag>].srt` (`clip.en.srt`, `clip.zh-Hans.srt`, `clip.eng.sdh.vtt`), also `.vtt`,
 * `.ass` and `.ssa`. The English file becomes the subtitle (MERR's `text`; else the one without a language,
 * else the one in the spoken language), and when the clip is spoken in another language its file in that
 * language gives the words as spoken (the speaking rate's syllables), as MER2023's two transcript columns do.
 * Forced subtitles (`.forced.`) cover only foreign-language lines, not the dialogue, and are not read.
 */

/** Tags that say what kind of subtitle a file is, not its language (`hi`, hearing impaired, only beside a language tag: alone it is Hindi). */
const KIND_TAGS = new Set(["sdh", "cc", "hi", "default", "full"]);

interface Candidate {
  file: string;
  language?: string;
  /** Tagged as a kind (`.sdh.`, `.cc.`): subtitles for the deaf, with speaker names and sounds; a plain file comes first. */
  kind?: boolean;
}

/**
 * The subtitle files of each video among the files of its folder, by video path. Pure: `names` are the
 * folder's entries. `unknown` receives the files named after a video with a tag that is neither a language
 * nor a kind (`clip.xx.srt`): no video takes them.
 */
export function matchSubtitleFiles(dir: string, names: readonly string[], videos: readonly string[], unknown?: string[]): Map<string, Candidate[]> {
  const byStem = new Map<string, Candidate[]>();
  for (const name of names) {
    if (!subtitleFormat(name) || name.startsWith(".")) continue;
    const parts = name.slice(0, name.lastIndexOf(".")).split(".");
    // The stem is what is left after up to two tags: "clip.en.sdh" -> clip (en), "clip.en" -> clip (en), "clip".
    for (let tags = 0; tags <= Math.min(2, parts.length - 1); tags++) {
      const stem = parts.slice(0, parts.length - tags).join(".");
      const tagList = parts.slice(parts.length - tags).map((t) => t.toLowerCase());
      if (tagList.includes("forced")) continue;
      let languages = tagList.length === 1 ? tagList.filter((t) => isLanguageTag(t)) : tagList.filter((t) => !KIND_TAGS.has(t));
      // "hi" among kind tags only: Hindi (clip.hi.sdh.srt), as a single tag is.
      if (!languages.length && tagList.length > 1 && tagList.includes("hi")) languages = ["hi"];
      const kinds = tagList.filter((t) => !languages.includes(t));
      if (languages.length > 1 || !languages.every(isLanguageTag) || !kinds.every((t) => KIND_TAGS.has(t))) continue;
      const list = byStem.get(stem) ?? [];
      list.push({ file: path.join(dir, name), ...(languages[0] ? { language: primaryLanguage(languages[0]) } : {}), ...(kinds.length ? { kind: true } : {}) });
      byStem.set(stem, list);
    }
  }
  const out = new Map<string, Candidate[]>();
  const stems = new Set<string>();
  for (const video of videos) {
    const base = path.basename(video);
    const stem = base.slice(0, base.lastIndexOf("."));
    stems.add(stem);
    const found = byStem.get(stem);
    if (found?.length) out.set(video, found);
  }
  if (unknown) {
    const taken = new Set([...out.values()].flat().map((c) => path.basename(c.file)));
    for (const name of names) {
      const parts = name.slice(0, name.lastIndexOf(".")).split(".");
      if (subtitleFormat(name) && parts.length > 1 && stems.has(parts.slice(0, -1).join(".")) && !taken.has(name) && parts.at(-1)!.toLowerCase() !== "forced") unknown.push(path.join(dir, name));
    }
  }
  return out;
}

const formatRank = (file: string): number => SUBTITLE_EXTENSIONS.indexOf(path.extname(file).toLowerCase() as (typeof SUBTITLE_EXTENSIONS)[number]);
const byPreference = (a: Candidate, b: Candidate): number => Number(a.kind ?? false) - Number(b.kind ?? false) || formatRank(a.file) - formatRank(b.file) || a.file.localeCompare(b.file);

/** Which files give the subtitle and the words as spoken, for a clip spoken in `spoken` (ISO 639-1). Pure. */
export function chooseSubtitleFiles(candidates: readonly Candidate[], spoken: string): SubtitleChoice<Candidate> {
  return chooseSubtitles([...candidates].sort(byPreference), spoken);
}

/**
 * One subtitle file's spoken text ("" when its cues hold no words); E_DATA_INVALID names the file. Read
 * synchronously: a folder's listing reads thousands of small files. Listing 70,000 empty clips with 35,000
 * one-cue subtitle files took 8.1 s with fs/promises, most of it its four round trips per file (open, stat,
 * read, close), and takes 2.4 s this way (0.55 s without subtitle files; a scratch measurement).
 */
export function readSubtitleFile(file: string): string {
  const format = subtitleFormat(file);
  if (!format) throw new MerrError("E_DATA_INVALID", `${file}: not a subtitle file (${SUBTITLE_EXTENSIONS.join(" ")})`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    // A folder named like a subtitle file, a file without read permission, one deleted meanwhile.
    throw new MerrError("E_DATA_INVALID", `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const text = decodeSubtitleBytes(bytes, file);
  return subtitleText(parseSubtitles(text, format, file));
}

export interface SidecarSubtitles {
  /** The subtitle (MERR `text`). */
  transcript: string;
  /** The words as spoken, when the subtitle is in another language. */
  spokenTranscript?: string;
}

/**
 * The sidecar subtitles of `videos` (absolute paths), for clips spoken in `spoken`. A file that cannot be
 * read (not UTF-8, not a subtitle file) is left out and named in `notes`, and that clip is transcribed as if
 * it had none; a summary of what was read goes to `notes` too.
 */
export async function readSidecarSubtitles(videos: readonly string[], spoken: string, root: string, notes?: string[]): Promise<Map<string, SidecarSubtitles>> {
  const byDir = new Map<string, string[]>();
  for (const v of videos) {
    const dir = path.dirname(v);
    const list = byDir.get(dir);
    if (list) list.push(v);
    else byDir.set(dir, [v]);
  }
  const out = new Map<string, SidecarSubtitles>();
  const failed = new Set<string>();
  const otherLanguages = new Set<string>();
  // One file can sit beside two videos (clip.mp4 and clip.mkv): it is read once.
  const texts = new Map<string, string | undefined>();
  const read = (c: Candidate): string | undefined => {
    if (!texts.has(c.file)) {
      try {
        texts.set(c.file, readSubtitleFile(c.file) || undefined);
      } catch (error) {
        if (!(error instanceof MerrError)) throw error;
        failed.add(error.reason.replace(c.file, path.relative(root, c.file)));
        texts.set(c.file, undefined);
      }
    }
    return texts.get(c.file);
  };
  const unknown: string[] = [];
  for (const [dir, inDir] of byDir) {
    for (const [video, candidates] of matchSubtitleFiles(dir, await readdir(dir), inDir, unknown)) {
      const first = chooseSubtitleFiles(candidates, spoken);
      for (const c of first.ignored) if (c.language && c.language !== "en" && c.language !== primaryLanguage(spoken)) otherLanguages.add(c.language);
      // A file that cannot be read, or holds no words, is as if it were not there: the next one in line serves.
      let left = candidates;
      let transcript: string | undefined;
      let spokenText: string | undefined;
      for (;;) {
        const choice = chooseSubtitleFiles(left, spoken);
        if (!choice.text) break;
        transcript = read(choice.text);
        if (transcript === undefined) {
          left = left.filter((c) => c !== choice.text);
          continue;
        }
        // The words as spoken: the first file in the spoken language that reads, in the order of preference.
        const inSpoken = choice.spoken ? [choice.spoken, ...choice.ignored.filter((x) => x.language === choice.spoken!.language)] : [];
        for (const c of inSpoken) if ((spokenText = read(c))) break;
        break;
      }
      if (transcript) out.set(video, { transcript, ...(spokenText ? { spokenTranscript: spokenText } : {}) });
    }
  }
  const where = `--input ${root}`;
  const withText = out.size;
  const used = new Set([...texts].filter(([, t]) => t !== undefined).map(([f]) => f)).size;
  if (out.size) {
    notes?.push(
      `${where}: ${withText} clip${withText === 1 ? " takes its" : "s take their"} subtitle from the subtitle files beside ${withText === 1 ? "it" : "them"} ` +
        `(<clip>.srt, <clip>.en.srt, .vtt, .ass; ${used} file${used === 1 ? "" : "s"} read); ` +
        "the other clips have none",
    );
  }
  if (unknown.length) {
    const names = unknown.map((f) => path.relative(root, f)).sort();
    notes?.push(`${where}: ${names.length} subtitle file${names.length === 1 ? "" : "s"} named after a clip with a tag that is no language (${names.slice(0, 3).join(", ")}${names.length > 3 ? `, and ${names.length - 3} more` : ""}) ${names.length === 1 ? "is" : "are"} not read: name ${names.length === 1 ? "it" : "them"} <clip>.srt or <clip>.<language>.srt (en, zh, chs, eng...)`);
  }
  if (otherLanguages.size) notes?.push(`${where}: subtitle files in ${[...otherLanguages].sort().join(", ")} are not read: the subtitle is English (<clip>.en.srt), or in the spoken language (--language ${spoken})`);
  if (failed.size) {
    const list = [...failed].sort();
    notes?.push(`${where}: ${list.length} subtitle file${list.length === 1 ? "" : "s"} could not be read and ${list.length === 1 ? "is" : "are"} left out: ${list.slice(0, 3).join("; ")}${list.length > 3 ? `; and ${list.length - 3} more` : ""}`);
  }
  return out;
}
