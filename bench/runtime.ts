/**
 * Runtime benchmark: clips/s through 8 trivial stages per clip (a chain, the longest path) with the
 * real runtime: embedded redis-server, BullMQ jobs enqueued by their predecessors, in-process workers,
 * stage records on disk.
 * Usage: npm run bench:runtime [-- clips=1000 concurrency=32 processes=1 dir=/dev/shm]
 * processes=2 adds a second worker process (as `merr build --processes 2` does), so both cores work.
 */
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { silentLogger } from "../src/core/logger.ts";
import { definePipeline } from "../src/runtime/define.ts";
import { compilePipeline } from "../src/runtime/plan.ts";
import { runBuild } from "../src/runtime/run.ts";
import { startEmbeddedRedis } from "../src/runtime/embedded-redis.ts";
import { chainStages } from "./_chain.ts";
import { createStageWorkers } from "../src/runtime/bull.ts";
import { ResourcePool } from "../src/runtime/context.ts";
import { FINALIZE } from "../src/runtime/plan.ts";

const arg = (name: string, dflt: number): number => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split("=")[1] ?? dflt);
const CLIPS = arg("clips", 1000);
const CONCURRENCY = arg("concurrency", 32);
const PROCESSES = arg("processes", 1);
const STAGE_COUNT = 8;

const stages = chainStages("step", STAGE_COUNT, z.object({ n: z.number() }), async (_i, _sample, prev) => ({ n: (prev?.n ?? 0) + 1 }));
const pipeline = definePipeline({ name: "bench", description: "8 trivial stages", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: CONCURRENCY })) });

/** CPU time (user + system) of a process in ms, from /proc (clock ticks are 10 ms on Linux). */
async function processCpuMs(pid: number | undefined): Promise<number> {
  if (!pid) return NaN;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const outDir = path.join(process.argv.find((a) => a.startsWith("dir="))?.slice(4) ?? os.tmpdir(), `merr-bench-runtime-${process.pid}`);
  const load0 = os.loadavg().map((x) => x.toFixed(1)).join(" ");
  const samples = Array.from({ length: CLIPS }, (_, i) => ({ id: `clip_${String(i).padStart(6, "0")}`, path: `/nonexistent/clip_${i}.mp4`, source: "bench" }));
  const plan = compilePipeline(pipeline);
  const redis = await startEmbeddedRedis({ dir: path.join(outDir, "redis") });
  const redisCpu0 = await processCpuMs(redis.pid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await runBuild({
    outDir, source: "bench", samples, plan, registry: new Map(stages.map((s) => [s.name, s])), redis: redis.url, prefix: "merr-bench",
    inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
    extraWorkers: { count: PROCESSES - 1, argv: (url) => [process.execPath, "--import", "tsx", process.argv[1] as string, "worker-child", url, `concurrency=${CONCURRENCY}`] },
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redisMs = (await processCpuMs(redis.pid)) - redisCpu0;
  // The same build again over the finished run: what a rerun costs before it finds nothing to do.
  const t1 = performance.now();
  const again = await runBuild({
    outDir, source: "bench", samples, plan, registry: new Map(stages.map((s) => [s.name, s])), redis: redis.url, prefix: "merr-bench",
    inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
  });
  const resumeMs = performance.now() - t1;
  await redis.stop();
  const done = res.summary.samples.done;
  const merrCpuMs = (cpu.user + cpu.system) / 1000;
  const lines = [
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load avg before ${load0}`,
    `flow: ${STAGE_COUNT} trivial stages in a chain + finalize (${STAGE_COUNT + 1} jobs per clip), ${CLIPS} clips, ${PROCESSES} worker process(es), concurrency ${CONCURRENCY} per queue, embedded redis-server (unix socket), records in ${path.dirname(outDir)}`,
    `done: ${done}/${CLIPS} in ${(wallMs / 1000).toFixed(2)} s (enqueue to summary)`,
    `throughput: ${(CLIPS / (wallMs / 1000)).toFixed(1)} clips/s, ${((CLIPS * (STAGE_COUNT + 1)) / (wallMs / 1000)).toFixed(0)} jobs/s (target >= 200 clips/s)`,
    `orchestration per clip: ${(wallMs / CLIPS).toFixed(2)} ms wall; CPU ${(merrCpuMs / CLIPS).toFixed(2)} ms merr main process${PROCESSES > 1 ? " (other worker processes not counted)" : ""} + ${(redisMs / CLIPS).toFixed(2)} ms redis-server`,
    `rerun of the finished run: ${again.alreadyDone}/${CLIPS} already done in ${(resumeMs / 1000).toFixed(2)} s (${(resumeMs / CLIPS).toFixed(2)} ms per clip)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await rm(outDir, { recursive: true, force: true });
}

/** A second worker process serving the bench stages (what `merr worker` does for the real stages). */
async function workerChild(redisUrl: string): Promise<void> {
  const workers = createStageWorkers({
    redis: redisUrl, prefix: "merr-bench", stages: new Map(stages.map((s) => [s.name, s])),
    queues: [...stages.map((s) => ({ name: s.name, concurrency: CONCURRENCY })), { name: FINALIZE, concurrency: 8 }],
    logger: silentLogger, resources: new ResourcePool(), settings: {},
  });
  await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
  await workers.close();
}

if (process.argv[2] === "worker-child") await workerChild(process.argv[3] as string);
else await main();
