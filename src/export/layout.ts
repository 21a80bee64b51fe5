import type { ExportFormat } from "./formats.ts";
import { MERR_FILES } from "./merr-format.ts";

/** Files each format writes inside the export directory. */
export const EXPORT_LAYOUT = {
  /** What the export wrote and left out; also how the next export into the folder knows which files are merr's. */
  report: "export-report.json",
  featureManifest: "features-manifest.json",
  videos: "videos",
  sharegptDir: "sharegpt",
  sharegptFile: "merr_sharegpt.json",
  /** LLaMA-Factory's dataset list, at the root: `--dataset_dir <export> --dataset merr`. */
  datasetInfo: "dataset_info.json",
  jsonl: "merr.jsonl",
  csv: "merr.csv",
} as const;

/** `sharegpt/merr_sharegpt.json`, relative to the export folder. */
export const SHAREGPT_PATH = `${EXPORT_LAYOUT.sharegptDir}/${EXPORT_LAYOUT.sharegptFile}`;

/**
 * The data files of each format (what a trainer reads; media and features aside), relative to the export
 * folder. `merr export --check` flags any of them that the latest export did not write.
 */
export const DATA_FILES: Readonly<Record<ExportFormat, readonly string[]>> = {
  merr: Object.values(MERR_FILES),
  "emotion-llama": [...Object.values(MERR_FILES), EXPORT_LAYOUT.featureManifest],
  sharegpt: [SHAREGPT_PATH, EXPORT_LAYOUT.datasetInfo],
  jsonl: [EXPORT_LAYOUT.jsonl],
  csv: [EXPORT_LAYOUT.csv],
};

/** Every data file a merr export writes or once wrote (`sharegpt/dataset_info.json`: merr before 0.2). */
export const ALL_DATA_FILES: readonly string[] = [...new Set([...Object.values(DATA_FILES).flat(), `${EXPORT_LAYOUT.sharegptDir}/${EXPORT_LAYOUT.datasetInfo}`])].sort();
