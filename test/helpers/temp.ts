import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Temporary folders for tests. Every folder made here is removed after its test file
 * (test/helpers/setup-file.ts calls removeTempDirs in afterAll), so a test needs no cleanup of its own.
 * The folders live in the test run's private TMPDIR, which global-setup.ts checks is empty at the end.
 */
const made = new Set<string>();

export async function tempDir(prefix = "merr-test-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
