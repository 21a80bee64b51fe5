import { ensureDir } from "../core/fs.ts";
import { sampleDir as sampleDirOf } from "../core/paths.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import type { Sample } from "../core/types.ts";
import type { StageContext } from "../stages/_stage.ts";

/** Per-process shared values (loaded models, rule sets, clients), created once per key. */
export class ResourcePool {
  readonly #values = new Map<string, Promise<unknown>>();
  readonly #releasers: Array<() => Promise<void> | void> = [];

  get<T>(key: string, create: () => Promise<T>): Promise<T> {
    let value = this.#values.get(key) as Promise<T> | undefined;
    if (!value) {
      value = create();
      // A failed creation is not cached: the next job tries again.
      value.catch(() => this.#values.delete(key));
      this.#values.set(key, value);
    }
    return value;
  }

  /** Registers a release function; {@link close} runs them last-in first-out. */
  onClose(release: () => Promise<void> | void): void {
    this.#releasers.push(release);
  }

  async close(): Promise<void> {
    while (this.#releasers.length) await this.#releasers.pop()?.();
    this.#values.clear();
  }
}

export interface CreateContextInput {
  runId: string;
  outDir: string;
  sample: Sample;
  stage: string;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (pct: number, note?: string) => void;
  resources?: ResourcePool;
  settings?: Record<string, unknown>;
}

export interface BuiltContext {
  ctx: StageContext;
  provenance: Record<string, unknown>;
}

/** Builds the StageContext a stage gets (creates the sample directory). Workers and tests use the same. */
export async function createStageContext(input: CreateContextInput): Promise<BuiltContext> {
  const dir = sampleDirOf(input.outDir, input.sample.id);
  await ensureDir(dir);
  const provenance: Record<string, unknown> = {};
  const resources = input.resources ?? new ResourcePool();
  const ctx: StageContext = {
    runId: input.runId,
    outDir: input.outDir,
    sampleDir: dir,
    logger: (input.logger ?? silentLogger).child({ stage: input.stage, sample: input.sample.id }),
    signal: input.signal ?? new AbortController().signal,
    progress: (pct, note) => input.onProgress?.(Math.max(0, Math.min(100, pct)), note),
    resource: (key, create) => resources.get(key, create),
    provenance: (fields) => Object.assign(provenance, fields),
    settings: Object.freeze({ ...(input.settings ?? {}) }),
  };
  return { ctx, provenance };
}
