import type { Command } from "commander";

/**
 * `merr audio describe <clip-or-wav>`: the transcript, the measured tone features and the tone
 * description of one file, as JSON on stdout. It runs the `transcript` and `audio-tone` stages exactly
 * as a worker does (runStage), on a 16 kHz mono WAV decoded with ffmpeg. Stage modules, ffmpeg
 * wrappers and model clients are imported inside the action so `merr --help` stays fast.
 */

interface DescribeFlags {
  asr: string;
  tone: string;
  transcript?: string;
  spoken?: string;
  language: string;
  wording?: string;
  keep?: string;
}

export function registerAudioCommands(program: Command): Command {
  const audio = program.command("audio").description("speech: transcript and tone of voice of one file");

  audio
    .command("describe")
    .description("transcript, prosody features and tone description of a clip or WAV (prints JSON)")
    .argument("<clip-or-wav>", "any media file with an audio track (decoded to 16 kHz mono with ffmpeg)")
    .option("--asr <spec>", "speech recogniser: none, pocketsphinx, openai:<model>, gemini:<model>", "pocketsphinx")
    .option("--tone <spec>", "tone describer: builtin, openai:<model>, gemini:<model>", "builtin")
    .option("--transcript <text>", "a known transcript (skips speech recognition)")
    .option("--spoken <text>", "the words as spoken when --transcript is a translation (counts the speaking rate's syllables)")
    .option("--language <code>", "what is spoken (zh: a Chinese --spoken text counts one syllable per character); the hint for remote recognisers", "en")
    .option("--wording <file>", "tone wording file of the builtin describer (default: data/tone/wording.yaml)")
    .option("--keep <dir>", "keep the WAV and the features file (pitch and level tracks) in this folder")
    .action(async (file: string, flags: DescribeFlags) => {
      const result = await describeAudio(file, flags);
      console.log(JSON.stringify(result, null, 2));
    });
  return audio;
}

async function describeAudio(file: string, flags: DescribeFlags): Promise<Record<string, unknown>> {
  const [fs, os, path, { MerrError }, { loadConfig }, { createLogger }, { toSafeId }, { convertToWav, readWav }, runtime, ctxMod, stages] =
    await Promise.all([
      import("node:fs/promises"),
      import("node:os"),
      import("node:path"),
      import("../../core/errors.ts"),
      import("../../core/config.ts"),
      import("../../core/logger.ts"),
      import("../../core/ids.ts"),
      import("../../adapters/audio/index.ts"),
      import("../../runtime/run-stage.ts"),
      import("../../runtime/context.ts"),
      Promise.all([import("../../stages/transcript.ts"), import("../../stages/audio-tone.ts")]),
    ]);
  const [{ transcript }, { audioTone }] = stages;
  const { buildStageSettings } = await import("../settings.ts");
  const config = loadConfig();
  const input = path.resolve(file);
  await fs.access(input).catch((error: unknown) => {
    throw new MerrError("E_INPUT_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  });
  const outDir = flags.keep ? path.resolve(flags.keep) : await fs.mkdtemp(path.join(os.tmpdir(), "merr-audio-"));
  const logger = createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel });
  const resources = new ctxMod.ResourcePool();
  try {
    const sample = {
      id: toSafeId(path.parse(input).name),
      path: input,
      source: "file",
      ...(flags.transcript !== undefined ? { transcript: flags.transcript } : {}),
      ...(flags.spoken !== undefined ? { spokenTranscript: flags.spoken } : {}),
    };
    const context = async (stage: string) =>
      (await ctxMod.createStageContext({ runId: "audio-describe", outDir, sample, stage, logger, resources, settings: buildStageSettings(config) })).ctx;
    const sampleDir = (await context("extract-audio")).sampleDir;
    const wavPath = path.join(sampleDir, "audio.wav");
    await convertToWav(input, wavPath);
    const pcm = await readWav(wavPath);
    if (pcm.samples.length === 0) throw new MerrError("E_MEDIA_INVALID", `${file}: the audio track decodes to no samples`);
    const extracted = { wavPath, durationS: pcm.samples.length / pcm.sampleRate, sampleRate: pcm.sampleRate };

    const text = await runtime.runStage(transcript, { sample, options: { asr: flags.asr, language: flags.language }, deps: { "extract-audio": extracted } }, await context("transcript"));
    const transcriptOut = text.status === "done" ? text.output : undefined;
    const tone = await runtime.runStage(
      audioTone,
      {
        sample,
        options: { backend: flags.tone, ...(flags.wording ? { wording: path.resolve(flags.wording) } : {}) },
        deps: { "extract-audio": extracted, ...(transcriptOut ? { transcript: transcriptOut } : {}) },
      },
      await context("audio-tone"),
    );
    const toneOut = tone.status === "done" ? (tone.output as { description: string; backend: string; arousal: number; featuresPath: string }) : undefined;
    const featuresFile = path.join(sampleDir, "audio-tone.features.json");
    const saved = JSON.parse(await fs.readFile(featuresFile, "utf8").catch(() => "{}")) as { features?: unknown; words?: unknown };
    return {
      file: input,
      durationS: Math.round(extracted.durationS * 1000) / 1000,
      transcript: transcriptOut ?? { skipped: text.status === "skipped" ? text.skip : undefined },
      tone: toneOut
        ? { description: toneOut.description, backend: toneOut.backend, arousal: toneOut.arousal, words: saved.words }
        : { skipped: tone.status === "skipped" ? { code: tone.skip.code, message: tone.skip.message } : undefined },
      features: saved.features,
      ...(flags.keep ? { wavPath, featuresPath: featuresFile } : {}),
    };
  } finally {
    await resources.close();
    if (!flags.keep) await fs.rm(outDir, { recursive: true, force: true });
  }
}
