/**
 * The export formats, in the order they are written. The one list: run-export.ts, the CLI's flag parsing
 * and its help text read it. A file of its own with no imports, so the CLI can load it for `--help`
 * without the export code (src/cli/commands/export.ts imports it directly rather than through index.ts).
 */
export const EXPORT_FORMATS = ["merr", "emotion-llama", "sharegpt", "jsonl", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
