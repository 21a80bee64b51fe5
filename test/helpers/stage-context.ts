import { createMemoryLogger } from "../../src/core/logger.ts";
import type { Sample } from "../../src/core/types.ts";
import { createStageContext, ResourcePool } from "../../src/runtime/context.ts";
import { tempDir } from "./temp.ts";

/** A temporary run directory for one test file (removed when the file ends). */
export async function tempOutDir(prefix = "merr-test-"): Promise<string> {
  return tempDir(prefix);
}

const sharedPool = new ResourcePool();

/**
 * A real StageContext for running a stage directly with runStage (the same context a worker builds).
 * Resources are shared by every test in the process, as in a worker.
 */
export async function testContext(opts: { outDir: string; sample: Sample; stage: string; settings?: Record<string, unknown> }) {
  const logger = createMemoryLogger();
  // Model answers are cached under the run by default; a test context gets a cache of its own so that
  // one test's answers never serve another test that expects its server to be asked.
  const models = opts.settings?.models as Record<string, unknown> | undefined;
  const settings =
    models && models.cacheDir === undefined
      ? { ...opts.settings, models: { ...models, cacheDir: await tempDir("merr-test-cache-") } }
      : opts.settings;
  const progress: Array<{ pct: number; note?: string }> = [];
  const built = await createStageContext({
    runId: "test",
    outDir: opts.outDir,
    sample: opts.sample,
    stage: opts.stage,
    logger,
    onProgress: (pct, note) => progress.push({ pct, note }),
    resources: sharedPool,
    settings,
  });
  return { ...built, logger, progress };
}
