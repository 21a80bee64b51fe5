import { execa, type ResultPromise } from "execa";
import { MerrError } from "../../core/errors.ts";
import { installHint } from "./binaries.ts";
import { endWithProcess, OWN_PROCESS_GROUP } from "./process-group.ts";

export interface RunToolOptions {
  signal?: AbortSignal;
  /** Milliseconds before the tool is killed (E_TIMEOUT). */
  timeoutMs?: number;
  cwd?: string;
  /** Return stdout as bytes instead of text. */
  binary?: boolean;
  input?: string | Uint8Array;
  /** Variables added to the inherited environment. */
  env?: Record<string, string>;
}

export interface ToolResult {
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

/**
 * A tool's log text without what changes from run to run: ffmpeg tags its lines with a memory address
 * ("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5564...]"), so the same input gave a different failure message each time.
 */
export function stableToolText(text: string): string {
  return text.replace(/ @ 0x[0-9a-f]+\]/g, "]");
}

/** Last `max` characters of a tool's stderr, for error messages. */
export function tail(text: string, max = 800): string {
  const t = stableToolText(text).trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/**
 * Runs a binary with an argv array (never a shell string) and honours the abort signal.
 * Missing binary: E_TOOL_MISSING naming the package. Non-zero exit: E_TOOL_FAILED with the stderr tail.
 */
export async function runTool(bin: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  const child: ResultPromise = execa(bin, args, {
    ...OWN_PROCESS_GROUP,
    cancelSignal: options.signal,
    timeout: options.timeoutMs,
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    encoding: options.binary ? "buffer" : "utf8",
    input: options.input,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 1024 * 1024 * 1024,
  });
  endWithProcess(child);
  const result = await child;
  const stderr = typeof result.stderr === "string" ? result.stderr : Buffer.from(result.stderr as Uint8Array).toString("utf8");
  if (result.failed) {
    if ((result as { code?: string }).code === "ENOENT" || /ENOENT/.test(String(result.message)) && result.exitCode === undefined) {
      throw toolMissing(bin);
    }
    if (result.isCanceled) throw new MerrError("E_ABORTED", `${bin} was cancelled`);
    if (result.timedOut) throw new MerrError("E_TIMEOUT", `${bin} timed out after ${options.timeoutMs} ms`);
    // Ended by a signal merr did not send (a Ctrl-C that reached it before it had its own process group):
    // that says nothing about its input, and the job is tried again.
    if (result.signal) throw new MerrError("E_ABORTED", `${bin} was stopped by ${result.signal}`, { details: { bin, signal: result.signal } });
    throw new MerrError("E_TOOL_FAILED", `${bin} exited with code ${result.exitCode ?? result.signal}: ${tail(stderr)}`, {
      details: { bin, exitCode: result.exitCode, stderrTail: tail(stderr) },
    });
  }
  const out = result.stdout as unknown;
  const stdoutBytes = out instanceof Uint8Array ? out : Buffer.from(String(out ?? ""));
  return { stdout: typeof out === "string" ? out : Buffer.from(stdoutBytes).toString("utf8"), stdoutBytes, stderr };
}

export function toolMissing(bin: string, hint?: string): MerrError {
  const fix = hint ?? installHint(bin) ?? "install it or put it on PATH";
  return new MerrError("E_TOOL_MISSING", `${bin} was not found on PATH; ${fix}`);
}

const versionCache = new Map<string, Promise<string>>();

/** First line of `<bin> -version` (memoised per process), for provenance. */
export function toolVersion(bin: string, flag = "-version"): Promise<string> {
  let v = versionCache.get(bin);
  if (!v) {
    v = runTool(bin, [flag]).then(
      (r) => (r.stdout || r.stderr).split("\n")[0]?.trim() ?? "unknown",
      () => "unknown",
    );
    versionCache.set(bin, v);
  }
  return v;
}
