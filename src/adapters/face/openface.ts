import { constants } from "node:fs";
import { access, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../../core/errors.ts";
import { parseOpenFaceCsv, trackedFrames } from "../../core/openface-csv.ts";
import { runTool, tail } from "../tools/run-tool.ts";
import type { AuExtractor, ExtractOptions, ExtractResult } from "./types.ts";

/**
 * OpenFace 2.x `FeatureExtraction` as an {@link AuExtractor}:
 * `FeatureExtraction -f <clip> -out_dir <tmp> -aus [-pose -gaze]`, optionally under `xvfb-run -a` (some
 * headless builds need an X display). OpenFace writes `<tmp>/<stem>.csv`; it is validated and renamed
 * onto `csvPath` (same folder, so the rename is atomic). OpenFace analyses every frame: `fps` is ignored.
 */
export interface OpenFaceOptions {
  /** Path or name of FeatureExtraction. @defaultValue "FeatureExtraction" (looked up on PATH) */
  bin?: string;
  /** Run under `xvfb-run -a`. @defaultValue false */
  xvfb?: boolean;
  /** Milliseconds before OpenFace is killed. @defaultValue 30 minutes */
  timeoutMs?: number;
}

/** E_TOOL_MISSING for the OpenFace binary, naming the two ways to point merr at it. */
export function openFaceMissing(bin: string): MerrError {
  return new MerrError(
    "E_TOOL_MISSING",
    `OpenFace FeatureExtraction was not found (${bin.includes("/") ? `no executable file at ${bin}` : `"${bin}" is not on PATH`}); ` +
      "point merr at it with --openface-bin PATH or the OPENFACE_BIN environment variable, or use --extractor builtin",
    { details: { bin } },
  );
}

/** Whether an explicit path (one with a "/") names an executable file. */
async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false; // missing or not executable: the caller reports E_TOOL_MISSING
  }
}

/** The argv merr passes to FeatureExtraction (exported for tests and docs). */
export function openFaceArgs(video: string, outDir: string, poseGaze = false): string[] {
  return ["-f", video, "-out_dir", outDir, "-aus", ...(poseGaze ? ["-pose", "-gaze"] : [])];
}

export function createOpenFaceExtractor(options: OpenFaceOptions = {}): AuExtractor {
  const binName = options.bin ?? "FeatureExtraction";
  // A bare name is looked up on PATH by the process runner; a path is checked here for a clearer message.
  const bin = binName.includes("/") ? path.resolve(binName) : binName;
  return {
    name: "openface",
    async extract(video: string, opts: ExtractOptions): Promise<ExtractResult> {
      if (bin.includes("/") && !(await isExecutable(bin))) throw openFaceMissing(bin);
      const runner = options.xvfb ? "xvfb-run" : bin;
      const stem = path.parse(video).name;
      await mkdir(path.dirname(opts.csvPath), { recursive: true });
      const outDir = await mkdtemp(path.join(path.dirname(opts.csvPath), ".openface-"));
      try {
        const args = openFaceArgs(path.resolve(video), outDir, opts.poseGaze);
        const argv = options.xvfb ? ["-a", bin, ...args] : args;
        opts.progress?.(5, "openface");
        let stderr = "";
        let stdout = "";
        try {
          ({ stderr, stdout } = await runTool(runner, argv, { signal: opts.signal, timeoutMs: options.timeoutMs ?? 30 * 60_000 }));
        } catch (error) {
          if (error instanceof MerrError && error.code === "E_TOOL_MISSING" && runner === bin) throw openFaceMissing(bin);
          // xvfb-run exits 127 when the command it should start does not exist.
          if (error instanceof MerrError && error.code === "E_TOOL_FAILED" && options.xvfb && error.details?.exitCode === 127) {
            throw openFaceMissing(bin);
          }
          if (error instanceof MerrError && error.code === "E_TOOL_FAILED") {
            throw new MerrError("E_TOOL_FAILED", `OpenFace (${bin}) failed on ${video}: ${String(error.details?.stderrTail ?? error.message)}`, {
              cause: error,
              details: error.details,
            });
          }
          throw error;
        }
        const produced = path.join(outDir, `${stem}.csv`);
        let text: string;
        try {
          text = await readFile(produced, "utf8");
        } catch (error) {
          throw new MerrError("E_TOOL_FAILED", `OpenFace (${bin}) exited without writing ${stem}.csv: ${tail(stderr || stdout, 800) || "no output"}`, {
            cause: error,
          });
        }
        const table = parseOpenFaceCsv(text, { file: produced });
        await rename(produced, opts.csvPath);
        opts.progress?.(100);
        return {
          csvPath: opts.csvPath,
          frames: table.rowCounts.total,
          framesWithFace: trackedFrames(table),
          provenance: {
            extractor: "openface",
            openfaceBin: bin,
            argv: [...(options.xvfb ? ["xvfb-run", "-a", bin] : [bin]), ...args],
            layout: table.layout,
            ...(opts.fps !== undefined ? { fpsIgnored: opts.fps } : {}),
          },
        };
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    },
  };
}
