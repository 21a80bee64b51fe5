/**
 * The one error class of merr. Every failure carries a code from {@link ERROR_CODES}; the code decides
 * whether a retry can help and which exit code the CLI uses. Never branch on message text.
 */
export const ERROR_CODES = {
  E_USAGE: { retryable: false, exitCode: 64, summary: "a command line that merr cannot use (unknown flag, missing argument)" },
  E_CONFIG_INVALID: { retryable: false, exitCode: 78, summary: "invalid configuration or stage options" },
  E_DATA_INVALID: { retryable: false, exitCode: 65, summary: "a data file (AU rules, prompt, OpenFace CSV) that does not parse" },
  E_INPUT_INVALID: { retryable: false, exitCode: 65, summary: "an input that does not match what a command or stage expects" },
  /** A media file that cannot be decoded (0 bytes, not a media file, truncated beyond use). */
  E_MEDIA_INVALID: { retryable: false, exitCode: 65, summary: "a media file that cannot be decoded" },
  /** A run record (`stages/<stage>.json`, `sample.json`) that is not JSON or not a record of this merr. */
  E_RECORD_INVALID: { retryable: false, exitCode: 65, summary: "a run record that is corrupt or from another merr version" },
  /** A face sidecar (`au.sidecar.json`) that is not JSON or does not match its schema. */
  E_SIDECAR_INVALID: { retryable: false, exitCode: 65, summary: "a face sidecar that is corrupt or does not match its schema" },
  E_TOOL_MISSING: { retryable: false, exitCode: 69, summary: "a program merr needs is not installed (ffmpeg, redis-server, OpenFace...)" },
  E_TOOL_FAILED: { retryable: true, exitCode: 70, summary: "an external program failed" },
  E_REDIS_UNAVAILABLE: { retryable: true, exitCode: 69, summary: "Redis cannot be reached" },
  E_MODEL_UNAVAILABLE: { retryable: true, exitCode: 69, summary: "a model backend cannot be reached (refused, 429, 5xx)" },
  E_MODEL_REJECTED: { retryable: false, exitCode: 70, summary: "a model backend rejected the request (4xx)" },
  E_MODEL_OUTPUT_INVALID: { retryable: true, exitCode: 70, summary: "a model answer that does not match the expected shape" },
  E_MODEL_UNSUPPORTED: { retryable: false, exitCode: 78, summary: "a model backend that cannot do what the stage needs (images, audio)" },
  E_TIMEOUT: { retryable: true, exitCode: 70, summary: "a tool or model call took too long" },
  E_ABORTED: { retryable: true, exitCode: 130, summary: "stopped by a signal" },
  /** A validation found violations (`merr export --check`): the report lists each one with its fix. */
  E_CHECK_FAILED: { retryable: false, exitCode: 1, summary: "`merr export --check` found violations" },
  E_INTERNAL: { retryable: false, exitCode: 1, summary: "an unexpected error (a bug): printed with its stack" },
  /** ffprobe cannot read a media file (not media, truncated, unsupported): the message names the file. */
  E_PROBE_FAILED: { retryable: false, exitCode: 65, summary: "ffprobe cannot read a media file (not media, truncated, unsupported)" },
  /** A media file whose data ends well before the duration its header declares (a download cut short). */
  E_MEDIA_TRUNCATED: { retryable: false, exitCode: 65, summary: "a media file cut short: its data ends before its declared duration" },
  /** Another `merr build` holds the output folder's build.lock. */
  E_RUN_LOCKED: { retryable: false, exitCode: 75, summary: "another `merr build` is building the same --out folder" },
} as const satisfies Record<string, { retryable: boolean; exitCode: number; summary: string }>;

/**
 * Exit codes that are not an error's: how a finished or stopped command ends. Together with
 * {@link ERROR_CODES} they are the README's exit-code table (`npm run docs:exit-codes`).
 */
export const OUTCOME_EXIT_CODES = [
  { exitCode: 0, summary: "success; for `merr build`, every sample is done, filtered or skipped" },
  { exitCode: 2, summary: "`merr build` finished, but some samples failed (each `sample.json` says why)" },
  { exitCode: 130, summary: "`merr build` was interrupted (SIGINT or SIGTERM); building again resumes" },
] as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface MerrErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retry decision. */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class MerrError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: MerrErrorOptions = {}) {
    // The code is part of the message: BullMQ keeps only message and stack of a failed job.
    super(message.startsWith(`[${code}]`) ? message : `[${code}] ${message}`, { cause: options.cause });
    this.name = "MerrError";
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details;
  }

  /** The message without its `[E_...]` code, for a sentence that names the code apart or not at all. */
  get reason(): string {
    return this.message.slice(`[${this.code}] `.length);
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
}

const CODE_IN_MESSAGE = /^\[(E_[A-Z_]+)\]/;

/** Normalises anything thrown by foreign code into a MerrError (a MerrError passes through unchanged). */
export function coerceError(error: unknown, fallback: ErrorCode = "E_INTERNAL"): MerrError {
  if (error instanceof MerrError) return error;
  if (error instanceof Error) {
    if (error.name === "AbortError") return new MerrError("E_ABORTED", error.message, { cause: error });
    const code = CODE_IN_MESSAGE.exec(error.message)?.[1];
    if (code && code in ERROR_CODES) return new MerrError(code as ErrorCode, error.message, { cause: error });
    return new MerrError(fallback, error.message, { cause: error });
  }
  return new MerrError(fallback, String(error));
}
