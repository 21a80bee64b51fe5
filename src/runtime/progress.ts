import type { Logger } from "../core/logger.ts";
import type { ExecuteResult } from "./execute.ts";

export interface StageCounts {
  done: number;
  skipped: number;
  failed: number;
  reused: number;
}

export interface ProgressSnapshot {
  total: number;
  finished: number;
  stages: Array<{ name: string } & StageCounts>;
  elapsedMs: number;
}

/**
 * The counter a finished stage job adds to: `reused` only for a valid record of the stage that was used
 * again; a stage skipped because a needed stage failed or was skipped counts as `skipped`.
 */
export function counterOf(result: Pick<ExecuteResult, "record" | "reused">): keyof StageCounts {
  return result.reused ? "reused" : result.record.status;
}

/** Parses the counters hash (`<stage>:<status>` -> n) into per-stage counts. */
export function parseCounters(hash: Record<string, string>, stages: string[]): Map<string, StageCounts> {
  const out = new Map<string, StageCounts>(stages.map((s) => [s, { done: 0, skipped: 0, failed: 0, reused: 0 }]));
  for (const [field, value] of Object.entries(hash)) {
    const i = field.lastIndexOf(":");
    const counts = out.get(field.slice(0, i));
    const key = field.slice(i + 1) as keyof StageCounts;
    if (counts && key in counts) counts[key] += Number(value) || 0;
  }
  return out;
}

export function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One status line: `12/40 samples · probe 40 · extract-audio 38 (2 skipped) · ... · ETA 1m05s`. */
export function formatProgress(p: ProgressSnapshot): string {
  const rate = p.finished / Math.max(1, p.elapsedMs);
  const eta = p.finished > 0 ? formatEta((p.total - p.finished) / rate) : "?";
  const parts = p.stages.map((s) => {
    const n = s.done + s.skipped + s.reused;
    const extra = [s.skipped ? `${s.skipped} skipped` : "", s.failed ? `${s.failed} failed` : ""].filter(Boolean).join(", ");
    return `${s.name} ${n}${extra ? ` (${extra})` : ""}`;
  });
  return `${p.finished}/${p.total} samples · ${parts.join(" · ")} · ETA ${eta}`;
}

export type ProgressMode = "tty" | "log" | "none";

/** Shows progress: a redrawn line on a TTY, a JSON log line every 10 s otherwise. */
export function createProgressReporter(mode: ProgressMode, logger: Logger, stream: NodeJS.WriteStream = process.stderr) {
  let lastLog = 0;
  return {
    update(p: ProgressSnapshot): void {
      if (mode === "tty") {
        const line = formatProgress(p);
        const width = stream.columns ?? 160;
        stream.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
      } else if (mode === "log" && Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        logger.info({ finished: p.finished, total: p.total, stages: Object.fromEntries(p.stages.map((s) => [s.name, s])) }, "progress");
      }
    },
    end(): void {
      if (mode === "tty") stream.write("\n");
    },
  };
}
