/**
 * The transcript gate (core/transcript-gate.ts) on speech the repository can make and hold:
 * - English synthesised by flite (kal16, kal, slt, awb, rms; kal16 also higher, slower and faster) and
 *   espeak-ng (six English voices), eight sentences each;
 * - espeak-ng speaking Mandarin, Cantonese, German, Spanish, French, Italian, Japanese, Russian,
 *   Portuguese, Korean, Hindi and Vietnamese (two voices each);
 * - noise, tones, a sweep, plucked chords and silence;
 * - the six bundled CREMA-D clips (real English speech, one sentence).
 * Every input goes through pocketsphinx exactly as the transcript stage runs it (two passes: the phone
 * loop that estimates the cepstral mean, then the words), then the gate with its defaults. "Usable"
 * English = word error rate <= 0.3 against the known sentence; "garbage" = word error rate > 0.5.
 * The tuning half (English sentences 1-4; Mandarin, German, Spanish, French; white noise, 440 Hz,
 * chord, sweep, silence) is where the decoder settings and the gate's defaults were chosen; the
 * held-out half is reported apart.
 * Run: node --import tsx bench/asr-guard.ts
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseWavFormat } from "../src/adapters/audio/pcm.ts";
import { transcribeWithPocketsphinx } from "../src/adapters/audio/pocketsphinx.ts";
import { convertAudioToWav } from "../src/adapters/tools/ffmpeg.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";
import { assessTranscript, GATE_DEFAULTS } from "../src/core/transcript-gate.ts";
import { projectPath } from "../src/core/paths.ts";

const ENGLISH = [
  "I never thought we would see each other again after all these years.",
  "Please put the boxes on the table before you leave the house.",
  "Don't forget a jacket, it is going to be cold tonight.",
  "Why did you tell him about the party? It was supposed to be a surprise.",
  "I am so tired of waiting for you to make up your mind.",
  "The train was late again, so I missed the whole meeting this morning.",
  "She told me she would call back, but I have not heard anything since.",
  "We should go to the beach this weekend if the weather stays nice.",
];
const OTHER: Record<string, string[]> = {
  cmn: ["我从来没有想过我们会再次见面，这么多年过去了。", "你为什么要告诉他聚会的事？那本来应该是个惊喜。", "我已经等了你一个小时了，你到底还来不来？", "他说他明天会给我打电话，但是我不相信他。"],
  yue: ["我從來冇諗過我哋會再見面。", "你點解要話俾佢知？"],
  de: ["Ich habe nie gedacht, dass wir uns nach all den Jahren wiedersehen.", "Warum hast du ihm von der Party erzählt? Das sollte eine Überraschung sein."],
  es: ["Nunca pensé que nos volveríamos a ver después de tantos años.", "¿Por qué le contaste lo de la fiesta? Se suponía que era una sorpresa."],
  "fr-fr": ["Je n'aurais jamais cru que nous nous reverrions après toutes ces années.", "Pourquoi lui as-tu parlé de la fête? C'était censé être une surprise."],
  it: ["Non avrei mai pensato che ci saremmo rivisti dopo tutti questi anni."],
  ja: ["何年も経って、また会えるとは思わなかった。"],
  ru: ["Я никогда не думал, что мы снова увидимся после стольких лет."],
  pt: ["Nunca pensei que nos veríamos de novo depois de tantos anos."],
  ko: ["몇 년이 지나서 우리가 다시 만날 줄은 몰랐어요."],
  hi: ["मैंने कभी नहीं सोचा था कि इतने सालों बाद हम फिर मिलेंगे।"],
  vi: ["Tôi chưa bao giờ nghĩ chúng ta sẽ gặp lại nhau sau ngần ấy năm."],
};
const TUNING_LANGUAGES = new Set(["cmn", "de", "es", "fr-fr"]);
const NON_SPEECH: Array<[name: string, tuning: boolean, sox: string[]]> = [
  ["white noise", true, ["synth", "3", "whitenoise", "vol", "0.3"]],
  ["pink noise", false, ["synth", "3", "pinknoise", "vol", "0.3"]],
  ["brown noise", false, ["synth", "3", "brownnoise", "vol", "0.5"]],
  ["sine 440 Hz", true, ["synth", "3", "sine", "440", "vol", "0.3"]],
  ["sine 220 Hz", false, ["synth", "3", "sine", "220", "vol", "0.3"]],
  ["plucked chord", true, ["synth", "3", "pluck", "C4", "pluck", "E4", "pluck", "G4", "vol", "0.5"]],
  ["sweep 200-2000 Hz", true, ["synth", "3", "sine", "200-2000", "vol", "0.3"]],
  ["square 300 Hz", false, ["synth", "3", "square", "300", "vol", "0.2"]],
  ["arpeggio", false, ["synth", "0.4", "pluck", "C4", ":", "synth", "0.4", "pluck", "E4", ":", "synth", "0.4", "pluck", "G4", ":", "synth", "0.4", "pluck", "C5", ":", "synth", "0.4", "pluck", "G4"]],
  ["silence", true, ["trim", "0", "3"]],
];

type Kind = "english" | "other-language" | "non-speech" | "crema-d";
interface Item { kind: Kind; group: string; tuning: boolean; wav: string; reference?: string }

const tokens = (s: string): string[] => s.toLowerCase().replace(/[^a-z' ]/g, " ").split(/\s+/).filter(Boolean);

/** Word error rate (Levenshtein over words / reference length). Pure. */
function wer(reference: string, hypothesis: string): number {
  const r = tokens(reference);
  const h = tokens(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const row = [i];
    for (let j = 1; j <= h.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[h.length]! / Math.max(1, r.length);
}

async function soxTo16k(src: string, dst: string): Promise<void> {
  await runTool("sox", [src, "-r", "16000", "-c", "1", "-b", "16", dst]);
}

async function corpus(dir: string): Promise<Item[]> {
  const items: Item[] = [];
  let n = 0;
  const next = (): string => path.join(dir, `${n++}.wav`);
  const flite: Array<[string, string, string[]]> = [
    ["flite kal16", "kal16", []], ["flite kal16 high", "kal16", ["--setf", "int_f0_target_mean=140"]],
    ["flite kal16 slow", "kal16", ["--setf", "duration_stretch=1.3"]], ["flite kal16 fast", "kal16", ["--setf", "duration_stretch=0.8"]],
    ["flite kal", "kal", []], ["flite slt", "slt", []], ["flite awb", "awb", []], ["flite rms", "rms", []],
  ];
  for (const [group, voice, extra] of flite) {
    for (const [i, text] of ENGLISH.entries()) {
      const raw = next();
      const wav = next();
      await runTool("flite", ["-voice", voice, "-t", text, "-o", raw, ...extra]);
      await soxTo16k(raw, wav);
      items.push({ kind: "english", group, tuning: i < 4, wav, reference: text });
    }
  }
  for (const voice of ["en-us", "en-gb", "en-gb-x-rp", "en-029", "en-us+f3", "en-gb-scotland"]) {
    for (const [i, text] of ENGLISH.entries()) {
      const raw = next();
      const wav = next();
      await runTool("espeak-ng", ["-v", voice, "-w", raw, text], { env: { TMPDIR: dir } }); // its pulse-* folder goes with dir
      await soxTo16k(raw, wav);
      items.push({ kind: "english", group: `espeak-ng ${voice}`, tuning: i < 4, wav, reference: text });
    }
  }
  for (const [language, texts] of Object.entries(OTHER)) {
    for (const variant of ["", "+f3"]) {
      for (const text of texts) {
        const raw = next();
        const wav = next();
        await runTool("espeak-ng", ["-v", language + variant, "-w", raw, text], { env: { TMPDIR: dir } });
        await soxTo16k(raw, wav);
        items.push({ kind: "other-language", group: `espeak-ng ${language}`, tuning: TUNING_LANGUAGES.has(language), wav });
      }
    }
  }
  for (const [group, tuning, args] of NON_SPEECH) {
    const wav = next();
    await runTool("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", wav, ...args]);
    items.push({ kind: "non-speech", group, tuning, wav });
  }
  for (const code of ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]) {
    const wav = next();
    await convertAudioToWav(projectPath(`data/sample/1001_DFA_${code}_XX.flv`), wav, 16_000);
    items.push({ kind: "crema-d", group: "CREMA-D 1001", tuning: false, wav, reference: "Don't forget a jacket" });
  }
  return items;
}

const pct = (a: number, b: number): string => (b ? `${a}/${b} (${Math.round((100 * a) / b)}%)` : "-");

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-asr-"));
  try {
    const items = await corpus(dir);
    const results = [];
    for (const item of items) {
      const r = await transcribeWithPocketsphinx(item.wav);
      const wav = parseWavFormat(await readFile(item.wav), item.wav);
      const duration = wav.dataBytes / (wav.rate * wav.channels * (wav.bits / 8));
      const verdict = assessTranscript(r.words, duration);
      const accepted = verdict.reliable && r.text !== "";
      results.push({ ...item, text: r.text, accepted, verdict, wer: item.reference ? wer(item.reference, r.text) : undefined });
    }
    const lines: string[] = [`gate: geometric-mean posterior >= ${GATE_DEFAULTS.minConfidence}, >= ${GATE_DEFAULTS.minWords} words (defaults); ${results.length} inputs`];
    const groups = [...new Set(results.map((r) => `${r.kind}\t${r.group}`))];
    lines.push("", `${"input".padEnd(32)}accepted   usable (WER <= 0.3)   mean WER of accepted`);
    for (const g of groups) {
      const [kind, group] = g.split("\t") as [Kind, string];
      const rs = results.filter((r) => r.kind === kind && r.group === group);
      const acc = rs.filter((r) => r.accepted);
      const usable = rs.filter((r) => r.wer !== undefined && r.wer <= 0.3).length;
      const meanWer = acc.length && acc[0]!.wer !== undefined ? (acc.reduce((s, r) => s + (r.wer ?? 0), 0) / acc.length).toFixed(2) : "-";
      lines.push(`${`${kind}: ${group}`.padEnd(32)}${pct(acc.length, rs.length).padEnd(11)}${(rs[0]!.reference ? `${usable}/${rs.length}` : "-").padEnd(22)}${meanWer}`);
    }
    lines.push("");
    for (const [name, pick] of [["tuning half", true], ["held-out half", false]] as const) {
      const rs = results.filter((r) => r.tuning === pick);
      const foreign = rs.filter((r) => r.kind === "other-language" || r.kind === "non-speech");
      const english = rs.filter((r) => r.kind === "english" || r.kind === "crema-d");
      const usable = english.filter((r) => (r.wer ?? 1) <= 0.3);
      const garbage = english.filter((r) => (r.wer ?? 0) > 0.5);
      lines.push(`${name}: other languages and non-speech rejected ${pct(foreign.filter((r) => !r.accepted).length, foreign.length)}; ` +
        `English accepted ${pct(english.filter((r) => r.accepted).length, english.length)}, of which usable recognitions ${pct(usable.filter((r) => r.accepted).length, usable.length)} ` +
        `and recognitions with WER > 0.5 ${pct(garbage.filter((r) => r.accepted).length, garbage.length)}`);
    }
    const accepted = results.filter((r) => r.accepted && r.wer !== undefined);
    lines.push(`mean WER of every accepted English transcript: ${(accepted.reduce((s, r) => s + (r.wer ?? 0), 0) / Math.max(1, accepted.length)).toFixed(3)}; of every rejected one: ${(() => {
      const rej = results.filter((r) => !r.accepted && r.wer !== undefined);
      return (rej.reduce((s, r) => s + (r.wer ?? 0), 0) / Math.max(1, rej.length)).toFixed(3);
    })()}`);
    lines.push("", "CREMA-D (real English, reference \"Don't forget a jacket\"):");
    for (const r of results.filter((x) => x.kind === "crema-d")) {
      lines.push(`  "${r.text}"  WER ${r.wer?.toFixed(2)}  confidence ${r.verdict.figures.confidence}  ${r.accepted ? "accepted" : `rejected (${r.verdict.reliable ? "empty" : r.verdict.reason})`}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main();
