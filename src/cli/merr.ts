#!/usr/bin/env node
import { pathToFileURL } from "node:url";
import { Command, Option } from "commander";
import { coerceError, ERROR_CODES, MerrError } from "../core/errors.ts";
import { EXPORT_FORMATS } from "../export/formats.ts";
import { registerAudioCommands } from "./commands/audio.ts";
import { registerAuCommands } from "./commands/au.ts";
import { registerExportCommands } from "./commands/export.ts";
import { SOURCE_NAMES } from "../sources/names.ts";
import { collect, parseIntOption, parseSourceOption } from "./options.ts";
import { givenQueueSettings } from "../core/config.ts";
import { stderrTerminal } from "../runtime/progress.ts";

/**
 * The merr command line. Commands parse flags and call one runtime function; their modules are imported
 * lazily so `merr --help` loads neither BullMQ nor any model SDK. This is the only file that calls
 * process.exit.
 */

/** Aborted on SIGINT/SIGTERM: long commands finish active work and return. `stopping` says what the command does then. */
function shutdownSignal(stopping = "finishing active jobs"): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  // On a terminal the message goes above a progress block (which is drawn again below it), not into it.
  const say = (text: string): void => (process.stderr.isTTY ? stderrTerminal().line(text) : void process.stderr.write(`\n${text}\n`));
  const onSignal = (sig: NodeJS.Signals): void => {
    count += 1;
    if (count > 1) {
      say(`${sig} again: exiting now`);
      process.exit(130);
    }
    say(`${sig}: ${stopping} (${sig === "SIGINT" ? "press Ctrl-C again" : "send it again"} to exit at once)`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

export function createProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    // Before any subcommand is added: each one copies this setting when it is made. Without it a
    // subcommand's usage error (unknown flag, missing value or required option) calls process.exit(1)
    // itself, the exit status of a bug, instead of throwing to main(), which exits 64 (E_USAGE).
    .exitOverride()
    .name("merr")
    .description("Build MERR (Multimodal Emotion Recognition and Reasoning) datasets from video clips on a queue of workers")
    .version("0.1.0")
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("build")
    .description("enqueue one flow per clip and run it (embedded Redis and in-process workers unless --redis / --no-workers)")
    .addOption(new Option("--source <name>", `where clips come from: ${SOURCE_NAMES.join(", ")} (any case)`).argParser(parseSourceOption).default("sample"))
    .option("--input <path>", "folder: the clips folder; manifest: the CSV; mer2023-semi: the video folder")
    .option("--transcripts <csv>", "mer2023-semi: transcription CSV (name, English sentence)")
    .option("-o, --out <dir>", "output directory (re-using it resumes the run)", "merr-out")
    .option("--pipeline <name>", "pipeline: merr (the whole MERR chain) or media (probe, audio, frames)", "merr")
    .option("--limit <n>", "only the first n samples (in id order)", (v) => parseIntOption("--limit", v, 1))
    .option("--ids <list>", "only these sample ids (comma-separated)")
    .option("--redis <url>", "use this Redis (redis://host:6379) instead of a private embedded one")
    .option("--no-workers", "only enqueue and wait; `merr worker` processes do the work")
    .option("--processes <n>", "worker processes on this machine (uses more cores; each face analyzer takes ~300 MB)", (v) => parseIntOption("--processes", v, 1), 1)
    .option("--prefix <name>", "queue key prefix (separates independent setups on one Redis)")
    .addOption(new Option("--extractor <name>", "Action Unit extractor (default: openface when --openface-bin/OPENFACE_BIN is set, else builtin)").choices(["builtin", "openface"]))
    .option("--openface-bin <path>", "OpenFace FeatureExtraction binary (env OPENFACE_BIN)")
    .option("--xvfb", "run OpenFace under xvfb-run (headless machines)")
    .option("--reuse-openface-csv", "use <clip-dir>/<stem>.csv or <clip-dir>/openface/<stem>.csv when present instead of extracting")
    .option("--rules <name|file>", "AU rule set: merr, merr-clean, mer-factory or a YAML file")
    .addOption(new Option("--peak-method <name>", "peak frame algorithm").choices(["paper", "mer-factory"]))
    .option("--asr <spec>", "speech recognition when the source has no transcript: pocketsphinx, none, openai:<model>, gemini:<model>")
    .option("--language <code>", "what is spoken (ISO 639-1: en, zh, ...; default en, mer2023-semi: zh); pocketsphinx refuses all but en")
    .option("--audio <spec>", "tone of voice: builtin, openai:<model> (e.g. Qwen2-Audio-7B-Instruct on vLLM), gemini:<model>")
    .option("--visual <spec>", "visual description: builtin, ollama:<model>, openai:<model>, gemini:<model>")
    .option("--reason <spec>", "fine-grained reasoning: builtin, ollama:<model>, openai:<model>, gemini:<model>")
    .addOption(new Option("--label <mode>", "label for the reasoning: auto (ground truth, else pseudo-label), ground-truth, pseudo, open").choices(["auto", "ground-truth", "pseudo", "open"]))
    .option("--map-label <map>", "ground-truth labels outside the MERR set: FROM=TO|drop, comma-separated (e.g. disgust=angry); default: such samples leave the fine set")
    .option("--features <encoder=spec,...>", "trainer features: HL-UTT, mae_340_UTT, maeV_399_UTT = onnx:<model.onnx> or command:<argv template>, repeatable (docs/features.md)", collect)
    .option("--export <dir>", "when the build ends, export the run there (see merr export)")
    .option("--export-format <list>", `formats for --export: ${EXPORT_FORMATS.join(", ")}`, "emotion-llama")
    .option("--set <stage.option=value>", "any stage option, repeatable (e.g. --set sample-frames.fps=4)", collect)
    .option("--concurrency <stage=n>", "jobs at a time per stage for in-process workers, repeatable", collect)
    .option("--rate-limit <stage=max/seconds>", "at most max jobs of a stage per window across all workers, repeatable (e.g. fine=60/60s)", collect)
    .option("--log-level <level>", "debug, info, warn, error, silent")
    .option("--no-progress", "no live progress line on a terminal")
    .option("--no-preflight", "skip the check, before anything is queued, that every model server, model, API key and OpenFace binary the stages use is there")
    .action(async (flags) => {
      const { buildCommand } = await import("./commands/build.ts");
      // Without workers of its own the build only waits: on a shared Redis the queued jobs stay for the
      // workers; its own Redis stops with it (its jobs are kept on disk for the next build).
      const stopping = flags.workers !== false ? "finishing active jobs" : givenQueueSettings(flags).redis ? "stopping; the queued jobs stay for the workers" : "stopping";
      setExit(await buildCommand(flags, shutdownSignal(stopping)));
    });

  program
    .command("worker")
    .description("serve stage queues of a shared Redis (run one per machine/GPU); SIGTERM finishes active jobs")
    .option("--profile <name>", "cpu, gpu or all", "all")
    .option("--redis <url>", "the shared Redis, e.g. redis://host:6379")
    .option("--prefix <name>", "queue key prefix")
    .option("--concurrency <stage=n>", "jobs at a time for a stage, repeatable", collect)
    .option("--cores <n>", "CPU cores this worker may use: jobs at a time of the ffmpeg and pocketsphinx stages (default: all of the machine's)", (v) => parseIntOption("--cores", v, 1))
    .option("--rate-limit <stage=max/seconds>", "at most max jobs of a stage per window across all workers, repeatable", collect)
    .option("--log-level <level>", "debug, info, warn, error, silent")
    .option("--no-preflight", "skip the start-up check of the model servers and keys its environment sets (and OPENFACE_BIN)")
    .action(async (flags) => {
      const { workerCommand } = await import("./commands/worker.ts");
      setExit(await workerCommand(flags, shutdownSignal()));
    });

  program
    .command("status")
    .description("what a run has done so far (also while it runs)")
    .requiredOption("-o, --out <dir>", "the run's output directory")
    .option("--json", "print JSON")
    .action(async (flags) => {
      const { statusCommand } = await import("./commands/status.ts");
      setExit(await statusCommand(flags));
    });

  program
    .command("dashboard")
    .description("Bull Board over every stage queue (127.0.0.1 unless --host with --auth)")
    .option("--redis <url>", "the Redis to show")
    .option("-o, --out <dir>", "or: the output dir of a running build with embedded Redis")
    .option("--prefix <name>", "queue key prefix")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", (v) => parseIntOption("--port", v), 3000)
    .option("--auth <user:password>", "HTTP basic auth (required with a non-loopback --host; env MERR_DASHBOARD_AUTH)")
    .action(async (flags) => {
      const { dashboardCommand } = await import("./commands/dashboard.ts");
      setExit(await dashboardCommand(flags, shutdownSignal("stopping")));
    });

  program
    .command("view")
    .description("the run's samples in the browser: filter, inspect, accept/reject/relabel (127.0.0.1 unless --host with --auth)")
    .requiredOption("-o, --out <dir>", "the run's output directory (finished, or while merr build runs)")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", (v) => parseIntOption("--port", v), 3001)
    .option("--auth <user:password>", "HTTP basic auth (required with a non-loopback --host; env MERR_DASHBOARD_AUTH); the user is the reviewer")
    .option("--reviewer <name>", "name recorded with each decision when there is no --auth (default: the OS user)")
    .action(async (flags) => {
      const { viewCommand } = await import("./commands/view.ts");
      setExit(await viewCommand(flags, shutdownSignal("stopping")));
    });

  registerAuCommands(program);
  registerAudioCommands(program);
  registerExportCommands(program);
  return program;
}

/** Runs the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = createProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // commander has printed its message (and the usage): only the exit status is left to choose.
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" ? 0 : ERROR_CODES.E_USAGE.exitCode;
    }
    const err = coerceError(error);
    process.stderr.write(`merr: ${err.message}\n`);
    if (err.code === "E_INTERNAL" && error instanceof Error && !(error instanceof MerrError)) process.stderr.write(`${error.stack ?? ""}\n`);
    return err.exitCode;
  }
}

/** Runs main() and exits with its code; used by bin/merr.js and `npm run merr`. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) run();
