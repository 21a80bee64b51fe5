export { runExport, EXPORT_FORMATS, EXPORT_LAYOUT, type ExportFormat, type ExportReport, type RunExportOptions } from "./run-export.ts";
export { checkExportDir, formatCheckResult, type CheckOptions, type CheckResult, type Violation, type ViolationKind } from "./check.ts";
export { loadEntries, assertRunDir } from "./load-entries.ts";
export { selectEntries, parseNeutralPolicy, isRefusal, DEFAULT_SELECT_OPTIONS, type NeutralPolicy, type Selection, type SelectOptions } from "./select.ts";
export { buildMerrFiles, coarseJsonEntry, fineJsonEntry, listLine, COARSE_KEYS, FINE_KEYS, MERR_FILES } from "./merr-format.ts";
export { buildShareGpt, SHAREGPT_TASKS, type ShareGptTask } from "./sharegpt.ts";
export { VIDEO_MODES, type VideoMode } from "./videos.ts";
export { formatExportReport } from "./format-report.ts";
