import { InvalidArgumentError, Option, type Command } from "commander";

/**
 * `merr au analyze <openface.csv>` and `merr au extract <video>`. Heavy modules (csv-parse, yaml, the
 * extractors, TensorFlow for the builtin analyzer) are imported inside the actions so `merr --help` stays fast.
 * Errors are thrown as MerrError; merr.ts prints them and sets the exit code.
 */

const num = (name: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} expects a number, got "${value}"`);
  return n;
};

interface AnalyzeFlags {
  rules: string;
  peakMethod?: "paper" | "mer-factory";
  id?: string;
  minConfidence?: number;
  keepFailed?: boolean;
  intensityMin?: number;
  minAus?: number;
  minFrameFraction?: number;
  emotionThreshold?: number;
  onNoMatch?: "filter" | "neutral";
}

interface ExtractFlags {
  extractor: "builtin" | "openface";
  openfaceBin?: string;
  xvfb?: boolean;
  poseGaze?: boolean;
  fps?: number;
  upright?: boolean;
  output: string;
}

export function registerAuCommands(program: Command): Command {
  const au = program.command("au").description("facial Action Units: extract them from a clip, analyse an OpenFace CSV, compare two extractors");

  au.command("analyze")
    .description("peak frame, AU pseudo-label and visual expression of an OpenFace CSV (prints JSON)")
    .argument("<openface.csv>", "OpenFace 2.x or 1.x FeatureExtraction CSV")
    .option("--rules <name|path>", "AU rule set: merr, merr-clean, mer-factory, or a YAML file", "merr")
    .addOption(new Option("--peak-method <method>", "peak-frame method (default: the rule set's)").choices(["paper", "mer-factory"]))
    .option("--id <sample-id>", "sample id that seeds the synonym draw (default: the CSV file name)")
    .option("--min-confidence <n>", "exclude rows below this tracking confidence", num("--min-confidence"))
    .option("--keep-failed", "do not exclude rows with success=0 (MER-Factory's behaviour)")
    .option("--intensity-min <n>", "AU intensity at which an AU counts as active", num("--intensity-min"))
    .option("--min-aus <n>", "AUs of an emotion's pool that must be active at the peak", num("--min-aus"))
    .option("--min-frame-fraction <n>", "fraction of frames in which a matched AU must be active", num("--min-frame-fraction"))
    .option("--emotion-threshold <n>", "MER-Factory emotion score threshold", num("--emotion-threshold"))
    .addOption(new Option("--on-no-match <what>", "when no rule fires").choices(["filter", "neutral"]))
    .action(async (csv: string, flags: AnalyzeFlags) => {
      const [{ readFile }, path, { loadAuRuleSet, withOverrides }, { parseOpenFaceCsv }, { analyzeAu }, { toSafeId }, { MerrError }] =
        await Promise.all([
          import("node:fs/promises"),
          import("node:path"),
          import("../../core/au-rules.ts"),
          import("../../core/openface-csv.ts"),
          import("../../core/au-analysis.ts"),
          import("../../core/ids.ts"),
          import("../../core/errors.ts"),
        ]);
      const rules = withOverrides(await loadAuRuleSet(flags.rules), {
        minConfidence: flags.minConfidence,
        requireSuccess: flags.keepFailed ? false : undefined,
        intensityMin: flags.intensityMin,
        minAus: flags.minAus,
        minFrameFraction: flags.minFrameFraction,
        emotionThreshold: flags.emotionThreshold,
        onNoMatch: flags.onNoMatch,
      });
      const text = await readFile(csv, "utf8").catch((error: unknown) => {
        throw new MerrError("E_INPUT_INVALID", `cannot read ${csv}: ${(error as Error).message}`, { cause: error });
      });
      const table = parseOpenFaceCsv(text, { file: csv, minConfidence: rules.frames.min_confidence, requireSuccess: rules.frames.require_success });
      const analysis = analyzeAu(table, rules, { seed: flags.id ?? toSafeId(path.parse(csv).name), peakMethod: flags.peakMethod });
      console.log(JSON.stringify(analysis, null, 2));
    });

  au.command("extract")
    .description("run an AU extractor alone on a clip and write an OpenFace 2.x layout CSV")
    .argument("<video>", "the clip")
    .addOption(new Option("--extractor <name>", "AU extractor").choices(["builtin", "openface"]).default("builtin"))
    .addOption(new Option("--openface-bin <path>", "OpenFace FeatureExtraction binary").env("OPENFACE_BIN"))
    .option("--xvfb", "run OpenFace under xvfb-run -a")
    .option("--pose-gaze", "also write head pose and gaze columns")
    .option("--fps <n>", "frames per second to analyse (builtin)", num("--fps"))
    .option("--upright", "turn each frame so that the face is upright before the face mesh reads it (builtin; docs/face-analyzer.md, \"Tilted heads\")")
    .requiredOption("-o, --output <au.csv>", "where to write the CSV (a sidecar JSON goes next to it)")
    .action(async (video: string, flags: ExtractFlags) => {
      const [path, { getExtractor }, { MerrError }] = await Promise.all([import("node:path"), import("../../adapters/face/index.ts"), import("../../core/errors.ts")]);
      if (flags.upright && flags.extractor !== "builtin") throw new MerrError("E_USAGE", `--upright is for the builtin extractor: OpenFace aligns faces itself (drop --upright or use --extractor builtin)`);
      const csvPath = path.resolve(flags.output);
      const { dir, name } = path.parse(csvPath);
      // A missing or empty clip is said as a build says it, before any extractor starts.
      const { clipSize } = await import("../../stages/_media.ts");
      await clipSize(path.resolve(video));
      const extractor = await getExtractor(flags.extractor, { openface: { bin: flags.openfaceBin, xvfb: flags.xvfb } });
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      try {
        const result = await extractor.extract(path.resolve(video), {
          csvPath,
          sidecarPath: path.join(dir, `${name}.sidecar.json`),
          fps: flags.fps,
          poseGaze: flags.poseGaze,
          ...(flags.upright ? { upright: true } : {}),
          signal: controller.signal,
        });
        console.log(`csv: ${result.csvPath}`);
        if (result.sidecarPath) console.log(`sidecar: ${result.sidecarPath}`);
        console.log(`frames: ${result.frames} (with a face: ${result.framesWithFace}), extractor: ${extractor.name}${result.provenance.upright === true ? ", faces turned upright" : ""}`);
      } finally {
        process.off("SIGINT", stop);
      }
    });

  au.command("compare")
    .description(
      "agreement of two AU CSVs of one clip (e.g. OpenFace against merr's built-in analyzer): per-AU Pearson r, means, activity; " +
        "given two folders, every clip they share by file name, with each side's pseudo-labels",
    )
    .argument("<a>", "first AU CSV (OpenFace 2.x or 1.x layout), e.g. a real OpenFace run; or a folder of them, or a merr run folder")
    .argument("<b>", "second AU CSV of the same clip, e.g. from merr au extract; or a folder of them, or a merr run folder")
    .option("--labels <file>", "folders: a labels CSV (name,label) to score both sides' pseudo-labels against")
    .option("--id-column <name>", "folders: the labels file's clip column (default: detected)")
    .option("--label-column <name>", "folders: the labels file's label column (default: detected)")
    .option("--rules <name|path>", "folders: AU rule set for the pseudo-labels: merr, merr-clean, mer-factory, or a YAML file", "merr")
    .option("--json", "print JSON")
    .action(async (a: string, b: string, flags: { json?: boolean; labels?: string; idColumn?: string; labelColumn?: string; rules: string }) => {
      const [{ readFile, stat }, path, { parseOpenFaceCsv }, { compareAuTables, formatComparison, formatSetAgreement }, { MerrError }] = await Promise.all([
        import("node:fs/promises"),
        import("node:path"),
        import("../../core/openface-csv.ts"),
        import("../../core/au-compare.ts"),
        import("../../core/errors.ts"),
      ]);
      const kindOf = async (p: string): Promise<"dir" | "file" | "missing"> => {
        const s = await stat(p).catch(() => undefined);
        return !s ? "missing" : s.isDirectory() ? "dir" : "file";
      };
      const [kindA, kindB] = await Promise.all([kindOf(a), kindOf(b)]);
      const [dirA, dirB] = [kindA === "dir", kindB === "dir"];
      // Folder mode with the other side missing (two missing files are reported by the file mode below).
      const missing = dirA && kindB === "missing" ? b : dirB && kindA === "missing" ? a : undefined;
      if (missing) throw new MerrError("E_USAGE", `${missing} does not exist: give two folders of AU CSVs named after their clips (or two merr run folders)`);
      if (dirA !== dirB) {
        throw new MerrError("E_USAGE", `${dirA ? a : b} is a folder and ${dirA ? b : a} is not: give two CSV files of one clip, or two folders of CSVs named after their clips`);
      }
      if (dirA) {
        const [{ loadAuRuleSet }, { compareAuFolders }] = await Promise.all([import("../../core/au-rules.ts"), import("../../eval/au-folders.ts")]);
        const result = await compareAuFolders(a, b, {
          rules: await loadAuRuleSet(flags.rules),
          ...(flags.labels ? { labels: flags.labels } : {}),
          ...(flags.idColumn ? { idColumn: flags.idColumn } : {}),
          ...(flags.labelColumn ? { labelColumn: flags.labelColumn } : {}),
        });
        if (flags.json) {
          console.log(JSON.stringify(result, null, 2));
          return;
        }
        console.log(formatSetAgreement(result.summary, result.clips, [a, b]));
        if (result.onlyA.length || result.onlyB.length) {
          const some = (ids: string[]): string => (ids.length ? ` (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""})` : "");
          console.log(`not paired: ${result.onlyA.length} only in A${some(result.onlyA)}, ${result.onlyB.length} only in B${some(result.onlyB)}`);
        }
        for (const s of result.skipped) console.log(`left out: ${s.id}: ${s.reason}`);
        return;
      }
      const load = async (file: string) => {
        const text = await readFile(file, "utf8").catch((error: unknown) => {
          throw new MerrError("E_INPUT_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
        });
        return parseOpenFaceCsv(text, { file });
      };
      const comparison = compareAuTables(await load(a), await load(b));
      if (comparison.frames === 0) throw new MerrError("E_INPUT_INVALID", `${a} and ${b} have no tracked frame in common (are they the same clip?)`);
      console.log(flags.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison, [path.basename(a), path.basename(b)]));
    });
  return au;
}
