/**
 * Model client throughput against a local model server with a fixed latency and capacity K.
 *
 * The server (node:http on 127.0.0.1, port 0) answers OpenAI-compatible /v1/chat/completions after
 * LATENCY_MS and serves at most K requests at once (the rest wait, as on a GPU server with K slots).
 * Its ideal throughput is K / latency. We measure:
 *   1. merr's model client fed every call at once (it has no cap of its own: the server is the limit);
 *   2. a per-clip sequential chain (visual-describe -> audio-tone -> fine, one call after another per
 *      clip) with 4 clips at a time, the shape of a simple per-clip script;
 *   3. the `fine` queue as `merr worker --profile gpu --concurrency fine=8` serves it: a stage named
 *      fine that makes one model call per clip through the stage context (as the real one does), run by
 *      BullMQ workers whose concurrency is the GPU profile's with the override, on an embedded Redis.
 *      Nothing else may cap the calls in flight: this is the figure the target (>= 90 %) applies to.
 * Usage: node --import tsx bench/models.ts [K=8] [latencyMs=250] [calls=320]
 * (Real model calls take hundreds of ms to seconds; below ~50 ms the loopback round trip itself,
 * several ms on a loaded 2-core machine, becomes a visible share of each slot's cycle.)
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import gpu from "../workers/gpu.ts";
import { createModelClient, modelClientFromContext } from "../src/adapters/models/index.ts";
import { parseConcurrency } from "../src/cli/options.ts";
import { silentLogger } from "../src/core/logger.ts";
import { definePipeline } from "../src/runtime/define.ts";
import { compilePipeline } from "../src/runtime/plan.ts";
import { runBuild } from "../src/runtime/run.ts";
import { defineStage } from "../src/stages/_stage.ts";

const K = Number(process.argv[2] ?? 8);
const LATENCY_MS = Number(process.argv[3] ?? 250);
const CALLS = Number(process.argv[4] ?? 320);
const CHAIN = 3;
const CLIPS_AT_ONCE = 4;

async function startServer(): Promise<{ url: string; close(): Promise<void>; peak(): number; busyS(): number }> {
  let active = 0;
  let peak = 0;
  let first = 0;
  let last = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => (active < K ? (active++, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const server = createServer(async (req, res) => {
    first ||= performance.now();
    for await (const _chunk of req) {
      // Drain the body.
    }
    await acquire();
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    release();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "ok" } }] }));
    last = performance.now();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    peak: () => peak,
    busyS: () => (last - first) / 1000,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function main(): Promise<void> {
  const server = await startServer();
  const settings = { openai: { baseUrl: `${server.url}/v1`, timeoutMs: 30_000 } };
  const client = createModelClient("openai:bench", settings, { cache: false });
  const ask = (i: number) => client.generate({ promptId: "bench@1", prompt: `call ${i}` });
  // Warm up connections.
  await Promise.all(Array.from({ length: K }, (_, i) => ask(-i)));

  let t0 = performance.now();
  await Promise.all(Array.from({ length: CALLS }, (_, i) => ask(i)));
  const pooledS = (performance.now() - t0) / 1000;
  const pooled = CALLS / pooledS;

  const clips = Math.floor(CALLS / CHAIN);
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIPS_AT_ONCE }, async () => {
      while (next < clips) {
        const clip = next++;
        for (let step = 0; step < CHAIN; step++) await ask(clip * CHAIN + step);
      }
    }),
  );
  const chainS = (performance.now() - t0) / 1000;
  const chain = (clips * CHAIN) / chainS;
  const ideal = (K * 1000) / LATENCY_MS;
  const peakBefore = server.peak();
  const queued = await throughQueue(CALLS);
  await server.close();

  const fmt = (n: number) => n.toFixed(1);
  console.log(`model server: capacity K=${K}, latency ${LATENCY_MS} ms -> ideal ${fmt(ideal)} calls/s (peak in flight seen: ${peakBefore})`);
  console.log(`merr client, all ${CALLS} calls at once: ${fmt(pooled)} calls/s = ${fmt((100 * pooled) / ideal)}% of ideal`);
  console.log(`per-clip sequential chain (${CHAIN} calls/clip, ${CLIPS_AT_ONCE} clips at a time), ${clips * CHAIN} calls: ${fmt(chain)} calls/s = ${fmt((100 * chain) / ideal)}% of ideal`);
  console.log(`fine queue, GPU profile with --concurrency fine=${FINE_CONCURRENCY} (BullMQ workers, ${CALLS} clips): ${fmt(queued.rate)} calls/s = ${fmt((100 * queued.rate) / ideal)}% of ideal end to end (Redis start, enqueue and summary included); ${fmt(queued.steady)} calls/s = ${fmt((100 * queued.steady) / ideal)}% from the first call to the last answer; peak in flight at the server: ${queued.peak}`);
  console.log(`client-side cost per call (slot cycle minus latency): ${fmt((K * 1000) / pooled - LATENCY_MS)} ms`);
  console.log(`ratio merr / chain: ${(pooled / chain).toFixed(2)}x (client), ${(queued.rate / chain).toFixed(2)}x (fine queue)`);
  if (pooled < 0.9 * ideal || queued.rate < 0.9 * ideal) {
    console.log("below 90% of ideal");
    process.exitCode = 1;
  }
}

const FINE_CONCURRENCY = 8;

/**
 * `clips` jobs of a stage named fine, one model call each, served with the concurrency
 * `merr worker --profile gpu --concurrency fine=8` gives the fine queue.
 */
async function throughQueue(clips: number): Promise<{ rate: number; steady: number; peak: number }> {
  const fine = defineStage({
    name: "fine",
    version: 1,
    description: "one model call, as the fine stage makes",
    options: z.object({}),
    output: z.object({ text: z.string() }),
    async run({ sample }, ctx) {
      const client = await modelClientFromContext(ctx, "openai:bench");
      const answer = await client.generate({ promptId: "bench@1", prompt: `${sample.id} reasoning`, signal: ctx.signal });
      return { text: answer.text };
    },
  });
  const concurrency = { ...gpu.concurrency, ...parseConcurrency([`fine=${FINE_CONCURRENCY}`]) };
  const pipeline = definePipeline({ name: "bench-models", description: "", stages: [{ stage: fine, attempts: 1 }] });
  const outDir = path.join(os.tmpdir(), `merr-bench-models-${process.pid}`);
  const samples = Array.from({ length: clips }, (_, i) => ({ id: `clip_${i}`, path: `/nonexistent/${i}.mp4`, source: "bench" }));
  // A fresh server peak: what the queue alone puts in flight.
  const server = await startServer();
  const t0 = performance.now();
  const res = await runBuild({
    outDir, source: "bench", samples, plan: compilePipeline(pipeline), registry: new Map([[fine.name, fine]]),
    prefix: "merr-bench-models", inProcessWorkers: true, logger: silentLogger, progress: "none", concurrency,
    settings: { models: { openai: { baseUrl: `${server.url}/v1`, timeoutMs: 30_000 } } },
  });
  const seconds = (performance.now() - t0) / 1000;
  const peak = server.peak();
  const busyS = server.busyS();
  await server.close();
  await rm(outDir, { recursive: true, force: true });
  if (res.summary.samples.done !== clips) throw new Error(`only ${res.summary.samples.done}/${clips} clips finished`);
  return { rate: clips / seconds, steady: clips / busyS, peak };
}

await main();
