/**
 * The one error class of merr. Every failure carries a code from {@link ERROR_CODES}; the code decides
 * whether a retry can help and which exit code the CLI uses. Never branch on message text.
 */
export const ERROR_CODES = {
  E_USAGE: { retryable: false, exitCode: 64 },
  E_CONFIG_INVALID: { retryable: false, exitCode: 78 },
  E_DATA_INVALID: { retryable: false, exitCode: 65 },
  E_INPUT_INVALID: { retryable: false, exitCode: 65 },
  /** A media file that cannot be decoded (0 bytes, not a media file, truncated beyond use). */
  E_MEDIA_INVALID: { retryable: false, exitCode: 65 },
  E_TOOL_MISSING: { retryable: false, exitCode: 69 },
  E_TOOL_FAILED: { retryable: true, exitCode: 70 },
  E_REDIS_UNAVAILABLE: { retryable: true, exitCode: 69 },
  E_MODEL_UNAVAILABLE: { retryable: true, exitCode: 69 },
  E_MODEL_REJECTED: { retryable: false, exitCode: 70 },
  E_MODEL_OUTPUT_INVALID: { retryable: true, exitCode: 70 },
  E_MODEL_UNSUPPORTED: { retryable: false, exitCode: 78 },
  E_TIMEOUT: { retryable: true, exitCode: 70 },
  E_ABORTED: { retryable: true, exitCode: 130 },
  /** A validation found violations (`merr export --check`): the report lists each one with its fix. */
  E_CHECK_FAILED: { retryable: false, exitCode: 1 },
  E_INTERNAL: { retryable: false, exitCode: 1 },
  /** ffprobe cannot read a media file (not media, truncated, unsupported): the message names the file. */
  E_PROBE_FAILED: { retryable: false, exitCode: 65 },
} as const satisfies Record<string, { retryable: boolean; exitCode: number }>;

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
