import { readFile } from "node:fs/promises";
import path from "node:path";
import { isActive } from "../core/au-peak.ts";
import { loadAuRuleSet, withOverrides, type AuRuleSet } from "../core/au-rules.ts";
import { readJsonIfExists } from "../core/fs.ts";
import { captionLabelMismatch } from "../core/fine-caption.ts";
import { isMerrLabel } from "../core/labels.ts";
import { entryFromRecords, type MerrEntry } from "../core/merr-entry.ts";
import { parseOpenFaceCsv } from "../core/openface-csv.ts";
import { sampleDir } from "../core/paths.ts";
import { changedInputs, foldReviews, type ReviewRecord, type ReviewState } from "../core/reviews.ts";
import { readSampleRecordsSync } from "../export/load-entries.ts";
import { AuAnalyzeOptions } from "../stages/au-analyze.ts";
import { lipsOpened } from "../core/lip-sync.ts";
import { renderAuTimelineSvg, renderProsodySvg, type AuSeries } from "./svg.ts";

/** Everything the sample page shows about one sample. */
export interface SampleDetail {
  id: string;
  status: string;
  reasons: MerrEntry["reasons"];
  transcriptRejected?: string;
  sample?: MerrEntry["sample"];
  durationS?: number;
  fps?: number;
  labels: { pseudo?: string; final?: string; fine?: string; truth?: string; conditioning?: string; confidence?: number };
  peak?: { frame: number; timeS: number; method?: string; image: boolean };
  /** The rule that fired and why (au-analyze's decision), the AU lists and the candidates. */
  au?: {
    decision?: { status: string; reason: string };
    emotion?: string;
    auList: string[];
    visualPriorList: string[];
    peakAuList: string[];
    /**
     * The fine entry's AUs when they are not the rule's: its label's pool AUs at the peak (`label_aus`), for a
     * fine label other than the pseudo-label (docs/export.md).
     */
    fine?: { label: string; aus: string[]; phrases: string[] };
    candidates: unknown[];
    rules?: { id?: string; version?: number; hash?: string };
    timelineSvg?: string;
    /** Why there is no timeline. */
    timelineNote?: string;
  };
  tone?: { description?: string; arousal?: number; features?: Record<string, unknown>; svg?: string; lipSync?: { verdict: string; syllables: number; seen: number; opened: number } };
  /** The subtitle and, when it is a translation, the words as spoken (`sample.spokenTranscript`, or a subtitle stream's). */
  transcript?: { text?: string; source?: string; spoken?: string };
  captions: { coarse?: string; fine?: string };
  visual?: string;
  stages: Record<string, MerrEntry["stages"][string] & { provenance: Record<string, unknown>; options?: unknown }>;
  review: ReviewState & {
    history: Array<ReviewRecord & { staleStages: string[] }>;
    /**
     * Why merr export would leave the sample out of the fine set: its fine caption (edited or not) names
     * another label than the one it would be exported with, as after a relabel without a caption edit.
     */
    captionMismatch?: string;
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** The lip check's syllables for the prosody plot: audio-tone's nuclei with the lips' opening at each (features file). */
function syllableMarks(nucleiS: unknown, openings: unknown): { syllables: Array<{ atS: number; opening: number | null; opened: boolean }> } | Record<string, never> {
  if (!Array.isArray(nucleiS) || !Array.isArray(openings) || nucleiS.length !== openings.length) return {};
  const syllables = nucleiS.flatMap((t, i) => {
    const at = numOf(t);
    const o = openings[i];
    const opening = typeof o === "number" && Number.isFinite(o) ? o : null;
    return at === undefined ? [] : [{ atS: at, opening, opened: opening !== null && lipsOpened(opening) }];
  });
  return { syllables };
}

const numOf = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : undefined);

/**
 * The fine entry's own AUs (see `au.fine`) under the label merr export gives it (a reviewer's relabel, else
 * the final label), when that label is not the pseudo-label or its AUs are not the rule's.
 */
function fineAus(entry: MerrEntry, state: ReviewState): { fine?: { label: string; aus: string[]; phrases: string[] } } {
  const label = state.label ?? entry.finalLabel;
  if (!label || !entry.labelAus) return {};
  const own = entry.labelAus[label] ?? { aus: [], phrases: [] };
  const same = label === entry.pseuEmotion && own.aus.join() === entry.auList.join();
  return same ? {} : { fine: { label, aus: own.aus, phrases: own.phrases } };
}

/** Files the page may load for a sample: only these paths, and only inside the run (the clip aside). */
export function insideRun(runDir: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  const abs = path.resolve(runDir, file);
  const rel = path.relative(runDir, abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? abs : undefined;
}

/** The peak frame image of a sample (peak-frame's output), when it lies inside the run. */
export function peakImagePath(runDir: string, entry: Pick<MerrEntry, "outputs">): string | undefined {
  const img = obj(entry.outputs["peak-frame"])?.imagePath;
  return insideRun(runDir, typeof img === "string" ? img : undefined);
}

const ruleSets = new Map<string, Promise<AuRuleSet>>();

/** The AU rule set au-analyze used (its options), with its overrides; cached per name. */
async function rulesFor(options: unknown): Promise<AuRuleSet | undefined> {
  const parsed = AuAnalyzeOptions.safeParse(options ?? {});
  if (!parsed.success) return undefined;
  const { rules: name, peakMethod: _peakMethod, minFaceCoverage: _minFaceCoverage, ...overrides } = parsed.data;
  let base = ruleSets.get(name);
  if (!base) {
    base = loadAuRuleSet(name);
    ruleSets.set(name, base);
    base.catch(() => ruleSets.delete(name));
  }
  try {
    return withOverrides(await base, overrides);
  } catch {
    // A rule set that no longer loads (renamed, edited into an error): the page says there is no timeline.
    return undefined;
  }
}

/** The AUs worth drawing: the fired rule's pool, the labelled AUs, those active at the peak, those summed for it. */
function relevantAus(analysis: Obj, rules: AuRuleSet): Array<{ au: string; role: string }> {
  const out = new Map<string, string>();
  const add = (aus: string[], role: string): void => {
    for (const au of aus) if (!out.has(au)) out.set(au, role);
  };
  const emotion = typeof analysis.emotion === "string" ? analysis.emotion : undefined;
  add(strs(analysis.AU_list), "fired");
  if (emotion && rules.emotions[emotion]) add(rules.emotions[emotion].aus, `${emotion} pool`);
  add(strs(analysis.peak_AU_list), "at peak");
  add(strs(obj(analysis.paper)?.top_aus), "peak sum");
  for (const c of Array.isArray(analysis.candidates) ? analysis.candidates : []) add(strs(obj(c)?.aus), `${String(obj(c)?.emotion ?? "")} cand.`);
  return [...out].map(([au, role]) => ({ au, role })).slice(0, 8);
}

async function auTimeline(entry: MerrEntry, analysis: Obj, options: unknown, runDir: string): Promise<{ svg?: string; note?: string }> {
  const csv = insideRun(runDir, String(obj(entry.outputs["au-extract"])?.csvPath ?? path.join(sampleDir(runDir, entry.name), "au.csv")));
  if (!csv) return { note: "the AU CSV is not inside the run" };
  const rules = await rulesFor(options);
  if (!rules) return { note: "the AU rule set of this run cannot be loaded" };
  let text: string;
  try {
    text = await readFile(csv, "utf8");
  } catch {
    return { note: `no AU CSV (${path.basename(csv)})` };
  }
  let table;
  try {
    table = parseOpenFaceCsv(text, { file: csv, minConfidence: rules.frames.min_confidence, requireSuccess: rules.frames.require_success });
  } catch (error) {
    return { note: `the AU CSV does not parse: ${(error as Error).message}` };
  }
  const rows = table.frame.length;
  const series: AuSeries[] = relevantAus(analysis, rules)
    .filter(({ au }) => table.intensity[au])
    .map(({ au, role }) => ({
      au,
      name: rules.aus[au]?.name,
      role,
      values: table.intensity[au]!,
      active: Array.from({ length: rows }, (_, i) => isActive(table, rules, au, i)),
    }));
  const peakRow = numOf(analysis.peak_row) ?? -1;
  const marks = (Array.isArray(obj(analysis.mer_factory)?.peaks) ? (obj(analysis.mer_factory)!.peaks as unknown[]) : [])
    .map((p) => obj(p))
    .filter((p): p is Obj => p !== undefined)
    .map((p) => ({ row: table.frame.indexOf(Number(p.frame)), label: `MER-Factory peak at frame ${String(p.frame)}` }));
  const svg = renderAuTimelineSvg({
    times: table.timestamp, valid: table.valid, threshold: rules.active.intensity_min, series, peakRow,
    peakFrame: numOf(analysis.peak_frame) ?? Math.max(0, (table.frame[peakRow] ?? 1) - 1), marks,
  });
  return { svg };
}

/** Reads one sample's records and files into the page's view of it. */
export async function sampleDetail(runDir: string, id: string, reviews: readonly ReviewRecord[]): Promise<SampleDetail> {
  const records = readSampleRecordsSync(runDir, id);
  const entry = entryFromRecords(records);
  const dir = sampleDir(runDir, id);
  const auOut = obj(entry.outputs["au-analyze"]);
  // A sample filtered at au-analyze has no output record, but the analysis file says why.
  const analysis = auOut ?? obj(await readJsonIfExists(path.join(dir, "au-analysis.json")).catch(() => undefined));
  const peakOut = obj(entry.outputs["peak-frame"]);
  const tone = obj(entry.outputs["audio-tone"]);
  const toneFile = insideRun(runDir, typeof tone?.featuresPath === "string" ? tone.featuresPath : path.join(dir, "audio-tone.features.json"));
  const toneData = toneFile ? obj(await readJsonIfExists(toneFile).catch(() => undefined)) : undefined;
  const tracks = obj(toneData?.tracks);
  const peakTime = numOf(peakOut?.timeS) ?? numOf(analysis?.peak_time_s);
  const peakFrame = numOf(peakOut?.frameIndex) ?? numOf(analysis?.peak_frame);
  // The tracks are on the WAV's clock, which starts with the audio stream (audio-tone's audioOffsetS later than the picture).
  const peakOnWav = peakTime === undefined ? undefined : peakTime - (numOf(entry.provenance["audio-tone"]?.audioOffsetS) ?? 0);
  // The words as spoken: the source's, else those of a subtitle stream in the spoken language.
  const spokenText = obj(entry.outputs.transcript)?.spokenText;
  const spoken = entry.sample?.spokenTranscript ?? (typeof spokenText === "string" ? spokenText : undefined);
  const timeline = analysis ? await auTimeline(entry, analysis, records.stages["au-analyze"]?.options, runDir) : { note: "no AU analysis" };
  const state = foldReviews(reviews, entry.inputs);
  const fine = obj(entry.outputs["fine"]);
  return {
    id,
    status: entry.status,
    reasons: entry.reasons,
    ...(records.record?.transcriptRejected ? { transcriptRejected: records.record.transcriptRejected } : {}),
    ...(entry.sample ? { sample: entry.sample } : {}),
    ...(entry.durationS !== undefined ? { durationS: entry.durationS } : {}),
    ...(entry.fps !== undefined ? { fps: entry.fps } : {}),
    labels: {
      pseudo: entry.pseuEmotion ?? (typeof analysis?.pseu_emotion === "string" ? analysis.pseu_emotion : undefined),
      final: entry.finalLabel,
      fine: entry.fineLabel,
      truth: entry.sample?.label,
      conditioning: entry.fineConditioning,
      confidence: entry.confidence,
    },
    ...(peakFrame !== undefined && peakTime !== undefined
      ? { peak: { frame: peakFrame, timeS: peakTime, method: typeof analysis?.peak_method === "string" ? analysis.peak_method : undefined, image: peakImagePath(runDir, entry) !== undefined } }
      : {}),
    ...(analysis
      ? {
          au: {
            decision: obj(analysis.decision) as { status: string; reason: string } | undefined,
            emotion: typeof analysis.emotion === "string" ? analysis.emotion : undefined,
            auList: strs(analysis.AU_list),
            visualPriorList: strs(analysis.visual_prior_list),
            peakAuList: strs(analysis.peak_AU_list),
            ...fineAus(entry, state),
            candidates: Array.isArray(analysis.candidates) ? analysis.candidates : [],
            rules: obj(analysis.rules) as { id?: string; version?: number; hash?: string } | undefined,
            ...(timeline.svg ? { timelineSvg: timeline.svg } : { timelineNote: timeline.note }),
          },
        }
      : {}),
    ...(tone || toneData
      ? {
          tone: {
            description: typeof tone?.description === "string" ? tone.description : undefined,
            arousal: numOf(tone?.arousal),
            features: obj(tone?.features) ?? obj(toneData?.features),
            ...(typeof obj(tone?.lipSync)?.verdict === "string" ? { lipSync: tone!.lipSync as { verdict: string; syllables: number; seen: number; opened: number } } : {}),
            ...(tracks && Array.isArray(tracks.f0Hz) && Array.isArray(tracks.levelDb)
              ? {
                  svg: renderProsodySvg({
                    hopS: numOf(tracks.hopS) ?? 0.01,
                    f0Hz: tracks.f0Hz as Array<number | null>,
                    levelDb: tracks.levelDb as Array<number | null>,
                    markS: peakOnWav,
                    ...syllableMarks(tracks.nucleiS, toneData?.lipOpenings),
                  }),
                }
              : {}),
          },
        }
      : {}),
    transcript: { text: entry.text, source: entry.textSource, ...(spoken ? { spoken } : {}) },
    captions: { coarse: entry.caption, fine: typeof fine?.smp_reason_caption === "string" ? fine.smp_reason_caption : entry.reason },
    ...(typeof obj(entry.outputs["visual-describe"])?.description === "string" ? { visual: obj(entry.outputs["visual-describe"])!.description as string } : {}),
    stages: Object.fromEntries(
      Object.entries(entry.stages).map(([name, s]) => [name, { ...s, provenance: entry.provenance[name] ?? {}, options: records.stages[name]?.options }]),
    ),
    review: { ...state, history: reviews.map((r) => ({ ...r, staleStages: changedInputs(r, entry.inputs) })), ...captionCheck(entry, state) },
  };
}

/** The export's fine-set check of the caption against the label, for a sample with a fine caption and label. */
function captionCheck(entry: MerrEntry, state: ReviewState): { captionMismatch?: string } {
  if (state.decision === "rejected") return {};
  const caption = state.caption ?? entry.reason;
  const label = state.label ?? entry.finalLabel;
  if (caption === undefined || label === undefined || !isMerrLabel(label)) return {};
  const why = captionLabelMismatch(caption, label);
  return why ? { captionMismatch: `${why}: merr export leaves the sample out of the fine set until the caption is edited (e)` } : {};
}

/** The current input fingerprints of a sample (what a new decision is made on). */
export function sampleInputs(runDir: string, id: string): Record<string, string> {
  return entryFromRecords(readSampleRecordsSync(runDir, id)).inputs;
}

/** The sample's clip and peak image paths (for the media routes). */
export function sampleFiles(runDir: string, id: string): { clip?: string; peakImage?: string } {
  const entry = entryFromRecords(readSampleRecordsSync(runDir, id));
  return { clip: entry.sample?.path, peakImage: peakImagePath(runDir, entry) };
}
