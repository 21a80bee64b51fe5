import type { Logger } from "../core/logger.ts";
import type { ExecuteResult } from "./execute.ts";

export interface StageCounts {
  done: number;
  /** Skipped with `filtered-out`: the sample did not pass this stage's filter. */
  filtered: number;
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

/** Per-stage counts, all zero. */
export const noCounts = (): StageCounts => ({ done: 0, filtered: 0, skipped: 0, failed: 0, reused: 0 });

/**
 * The counter a finished stage job adds to: `reused` only for a valid record of the stage that was used
 * again; `filtered` for a sample the stage filtered out; a stage skipped because a needed stage failed
 * or was skipped counts as `skipped`.
 */
export function counterOf(result: Pick<ExecuteResult, "record" | "reused">): keyof StageCounts {
  if (result.reused) return "reused";
  return result.record.status === "skipped" && result.record.skip?.code === "filtered-out" ? "filtered" : result.record.status;
}

/** Parses the counters hash (`<stage>:<status>` -> n) into per-stage counts. */
export function parseCounters(hash: Record<string, string>, stages: string[]): Map<string, StageCounts> {
  const out = new Map<string, StageCounts>(stages.map((s) => [s, noCounts()]));
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

/** `12/40 samples · ETA 1m05s` (tight: `12/40 · ETA 1m05s · 3 failed`): always first, so no width cuts the count or the ETA. */
function progressHead(p: ProgressSnapshot, tight = false): string {
  const rate = p.finished / Math.max(1, p.elapsedMs);
  const eta = p.finished >= p.total ? "0s" : p.finished > 0 ? formatEta((p.total - p.finished) / rate) : "?";
  const failed = tight ? p.stages.reduce((n, s) => n + s.failed, 0) : 0;
  return `${p.finished}/${p.total}${tight ? "" : " samples"} · ETA ${eta}${failed ? ` · ${failed} failed` : ""}`;
}

type StageEntry = ProgressSnapshot["stages"][number];
const finishedJobs = (s: StageEntry): number => s.done + s.filtered + s.skipped + s.reused;

/** How much a stage part says: `long` counts skips and failures, `short` failures, `tight` is a percentage. */
interface Style {
  detail: "long" | "short" | "tight";
  /** Fold stages every sample has passed ("N complete") and leave out those none has reached ("N waiting"). */
  collapse: boolean;
  /** `extract-audio` -> `ext-aud`. */
  abbreviate: boolean;
}

/** `fine 38 (4 filtered, 2 skipped, 1 failed)`, short `fine 38 (1 failed)`, tight `fine 95%`. */
function stagePart(s: StageEntry, total: number, style: Style): string {
  const name = style.abbreviate ? s.name.split("-").map((w) => w.slice(0, 3)).join("-") : s.name;
  if (style.detail === "tight") return `${name} ${Math.floor((100 * finishedJobs(s)) / Math.max(1, total))}%`;
  // Filtered and skipped samples are part of the count; the short form names only failures.
  const long = style.detail === "long";
  const extra = [long && s.filtered ? `${s.filtered} filtered` : "", long && s.skipped ? `${s.skipped} skipped` : "", s.failed ? `${s.failed} failed` : ""]
    .filter(Boolean).join(", ");
  return `${name} ${finishedJobs(s)}${extra ? ` (${extra})` : ""}`;
}

function stageParts(p: ProgressSnapshot, style: Style): string[] {
  if (!style.collapse) return p.stages.map((s) => stagePart(s, p.total, style));
  const complete = p.stages.filter((s) => s.failed === 0 && finishedJobs(s) >= p.total);
  const waiting = p.stages.filter((s) => s.failed === 0 && finishedJobs(s) === 0 && !complete.includes(s));
  const active = p.stages.filter((s) => !complete.includes(s) && !waiting.includes(s));
  return [
    ...(complete.length ? [`${complete.length} complete`] : []),
    ...active.map((s) => stagePart(s, p.total, style)),
    ...(waiting.length ? [`${waiting.length} waiting`] : []),
  ];
}

/** Greedy wrap of `parts` after `head` into at most `maxLines` lines of `width`; undefined when they do not fit. */
function wrap(head: string, parts: string[], sep: string, width: number, maxLines: number): string[] | undefined {
  const lines = [head];
  for (const [i, part] of parts.entries()) {
    const last = lines[lines.length - 1]!;
    const glue = i === 0 ? " · " : sep;
    if (last.length + glue.length + part.length <= width) lines[lines.length - 1] = `${last}${glue}${part}`;
    else if (lines.length < maxLines && part.length <= width) lines.push(part);
    else return undefined;
  }
  return lines.every((l) => l.length <= width) ? lines : undefined;
}

const STYLES: readonly Style[] = [
  { detail: "long", collapse: false, abbreviate: false },
  { detail: "short", collapse: false, abbreviate: false },
  { detail: "short", collapse: true, abbreviate: false },
  { detail: "short", collapse: true, abbreviate: true },
  { detail: "tight", collapse: true, abbreviate: true },
];

/**
 * The progress display for a terminal `columns` wide: one line when it fits, else two, each shorter
 * than the terminal (so it never wraps). Done/total and the ETA come first and always show; the stages
 * get shorter step by step (counts without skips, complete and waiting stages folded, abbreviated
 * names, percentages with the failures moved to the head), and only on a very narrow terminal is the
 * end cut with "…".
 */
export function layoutProgress(p: ProgressSnapshot, columns: number): string[] {
  const width = Math.max(20, columns - 1);
  const attempt = (style: Style, maxLines: number): string[] | undefined =>
    wrap(progressHead(p, style.detail === "tight"), stageParts(p, style), style.detail === "tight" ? " " : " · ", width, maxLines);
  for (const style of STYLES) {
    const lines = attempt(style, 1) ?? attempt(style, 2);
    if (lines) return lines;
  }
  // Too narrow for even the tightest style: fill two lines and cut the second.
  const tightest = STYLES[STYLES.length - 1]!;
  const cut = (line: string): string => (line.length > width ? `${line.slice(0, width - 1)}…` : line);
  const head = progressHead(p, true);
  const rest = stageParts(p, tightest);
  let first = head;
  while (rest.length > 0 && first.length + 1 + rest[0]!.length <= width) first += `${first === head ? " · " : " "}${rest.shift()!}`;
  return [cut(first), cut(rest.join(" "))];
}

export type ProgressMode = "tty" | "log" | "none";

/**
 * The terminal a progress block is drawn on: a line written through it (a message, a log entry) goes
 * above the block, which the next update draws again, so no text is glued onto the progress line.
 */
export interface Terminal {
  /** Draws the block in place of the one drawn last. */
  draw(lines: readonly string[]): void;
  /** Writes a line above the block (the block is cleared and drawn again at the next update). */
  line(text: string): void;
  /** Leaves the block on screen and moves below it. */
  end(): void;
  readonly columns: number;
}

export function createTerminal(stream: NodeJS.WriteStream = process.stderr): Terminal {
  let drawn = 0;
  // Back to the start of the block drawn last time, and clear to the end of the screen.
  const clear = (): string => `\r${drawn > 1 ? `\x1b[${drawn - 1}A` : ""}\x1b[J`;
  return {
    draw(lines) {
      stream.write(`${clear()}${lines.join("\n")}`);
      drawn = lines.length;
    },
    line(text) {
      stream.write(`${clear()}${text}\n`);
      drawn = 0;
    },
    end() {
      if (drawn > 0) stream.write("\n");
      drawn = 0;
    },
    get columns() {
      return stream.columns || process.stdout.columns || 80;
    },
  };
}

let stderrShared: Terminal | undefined;

/** This process's stderr as a {@link Terminal}: one for the progress block, the logger and the signal messages. */
export function stderrTerminal(): Terminal {
  stderrShared ??= createTerminal(process.stderr);
  return stderrShared;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };

/**
 * A JSON log line as one line of text for a terminal: `warning: stage failed (sample=a, stage=probe,
 * err=...)`. A line that is not JSON is kept as it is.
 */
export function logLineText(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const { level, msg, time: _time, ...fields } = entry;
  const value = (v: unknown): string => {
    const text = typeof v === "string" ? v : JSON.stringify(v);
    return text.length > 300 ? `${text.slice(0, 299)}…` : text;
  };
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${value(v)}`).join(", ");
  return `${LEVEL_NAMES[Number(level)] ?? "log"}: ${String(msg ?? "")}${rest ? ` (${rest})` : ""}`;
}

/** A pino destination that writes each log line as text above the progress block of `terminal`. */
export const terminalLogDestination = (terminal: Terminal): { write(line: string): void } => ({
  write(line: string) {
    for (const l of line.split("\n")) if (l.trim()) terminal.line(logLineText(l));
  },
});

/**
 * Shows progress: a block of one or two lines redrawn in place on a TTY (sized to the terminal's
 * columns at every update), a JSON log line every 10 s otherwise.
 */
export function createProgressReporter(mode: ProgressMode, logger: Logger, terminal: Terminal = createTerminal()) {
  let lastLog = 0;
  return {
    update(p: ProgressSnapshot): void {
      if (mode === "tty") {
        terminal.draw(layoutProgress(p, terminal.columns));
      } else if (mode === "log" && Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        logger.info({ finished: p.finished, total: p.total, stages: Object.fromEntries(p.stages.map((s) => [s.name, s])) }, "progress");
      }
    },
    end(): void {
      if (mode === "tty") terminal.end();
    },
    /** A message for the user: above the progress block on a terminal (drawn again at the next update), else a warning in the log. */
    note(text: string, fields: Record<string, unknown> = {}): void {
      if (mode === "tty") terminal.line(text);
      else logger.warn(fields, text);
    },
  };
}
