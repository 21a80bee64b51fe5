export { runExport, type ExportReport, type RunExportOptions } from "./run-export.ts";
export { checkExportDir, formatCheckResult } from "./check.ts";
export { parseNeutralPolicy } from "./select.ts";
export { SHAREGPT_TASKS, type ShareGptTask } from "./sharegpt.ts";
export { VIDEO_MODES } from "./videos.ts";
export { formatExportReport } from "./format-report.ts";
export { openExportFolder } from "./export-folder.ts";
