import { pino, type Logger as PinoLogger, type DestinationStream } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** The small logging surface merr code uses; implemented with pino. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; defaults to stderr so stdout stays free for command output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base: PinoLogger = pino(
    { level: options.level ?? "info", base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
  return wrap(base);
}

/**
 * A child's fields replace its parent's of the same name, and a line's fields those of its logger, as in
 * {@link createMemoryLogger}: each key appears once per line. (pino's own children append their bindings,
 * so a job logger scoped again with `stage` and `sample` wrote each of them twice.)
 */
function wrap(p: PinoLogger, bound: Readonly<Record<string, unknown>> = {}): Logger {
  const line = (f: Record<string, unknown>): Record<string, unknown> => ({ ...bound, ...f });
  return {
    debug: (f, m) => {
      if (p.isLevelEnabled("debug")) p.debug(line(f), m);
    },
    info: (f, m) => p.info(line(f), m),
    warn: (f, m) => p.warn(line(f), m),
    error: (f, m) => p.error(line(f), m),
    child: (fields) => wrap(p, { ...bound, ...fields }),
  };
}

export interface LogEntry {
  level: Exclude<LogLevel, "silent">;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps entries in memory: tests assert on it. */
export function createMemoryLogger(
  entries: LogEntry[] = [],
  scope: Record<string, unknown> = {},
): Logger & { entries: LogEntry[] } {
  const log =
    (level: LogEntry["level"]) =>
    (fields: Record<string, unknown>, msg: string): void => {
      entries.push({ level, msg, fields: { ...scope, ...fields } });
    };
  return {
    entries,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (fields) => createMemoryLogger(entries, { ...scope, ...fields }),
  };
}

export const silentLogger: Logger = createMemoryLogger([]);
