/**
 * Model client throughput against a local model server with a fixed latency and capacity K.
 *
 * The server (node:http on 127.0.0.1, port 0) answers OpenAI-compatible /v1/chat/completions after
 * LATENCY_MS and serves at most K requests at once (the rest wait, as on a GPU server with K slots).
 * Its ideal throughput is K / latency. We measure:
 *   1. merr's client + limiter (concurrency K) fed every call at once, as queue workers do;
 *   2. a per-clip sequential chain (visual-describe -> audio-tone -> fine, one call after another per
 *      clip) with 4 clips at a time, the shape of a simple per-clip script.
 *   3. the same three model calls per clip as three stages of a merr pipeline, run by `merr build`'s
 *      in-process workers on an embedded Redis (the queue path a real build takes).
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
import { createLimiter, createModelClient, modelClientFromContext } from "../src/adapters/models/index.ts";
import { silentLogger } from "../src/core/logger.ts";
import { definePipeline } from "../src/runtime/define.ts";
import { compilePipeline } from "../src/runtime/plan.ts";
import { runBuild } from "../src/runtime/run.ts";
import { chainStages } from "./_chain.ts";

const K = Number(process.argv[2] ?? 8);
const LATENCY_MS = Number(process.argv[3] ?? 250);
const CALLS = Number(process.argv[4] ?? 320);
const CHAIN = 3;
const CLIPS_AT_ONCE = 4;

async function startServer(): Promise<{ url: string; close(): Promise<void>; peak(): number }> {
  let active = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => (active < K ? (active++, Promise.resolve()) : new Promise((r) => waiting.push(r)));
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const server = createServer(async (req, res) => {
    for await (const _chunk of req) {
      // Drain the body.
    }
    await acquire();
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    release();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "ok" } }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    peak: () => peak,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function main(): Promise<void> {
  const server = await startServer();
  const settings = { openai: { baseUrl: `${server.url}/v1`, concurrency: K, retries: 0, timeoutMs: 30_000 } };
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
  const queued = await throughQueue(server.url, clips);
  await server.close();

  // The limiter alone (no HTTP): K slots over a task that just waits LATENCY_MS.
  const limiter = createLimiter({ concurrency: K, requestsPerMinute: 0 });
  t0 = performance.now();
  await Promise.all(Array.from({ length: CALLS }, () => limiter.run(() => new Promise((r) => setTimeout(r, LATENCY_MS)))));
  const limiterOnly = CALLS / ((performance.now() - t0) / 1000);

  const fmt = (n: number) => n.toFixed(1);
  console.log(`model server: capacity K=${K}, latency ${LATENCY_MS} ms -> ideal ${fmt(ideal)} calls/s (peak in flight seen: ${server.peak()})`);
  console.log(`merr limiter alone (no HTTP), ${CALLS} calls: ${fmt(limiterOnly)} calls/s = ${fmt((100 * limiterOnly) / ideal)}% of ideal`);
  console.log(`merr client + limiter (concurrency ${K}), ${CALLS} calls: ${fmt(pooled)} calls/s = ${fmt((100 * pooled) / ideal)}% of ideal`);
  console.log(`per-clip sequential chain (${CHAIN} calls/clip, ${CLIPS_AT_ONCE} clips at a time), ${clips * CHAIN} calls: ${fmt(chain)} calls/s = ${fmt((100 * chain) / ideal)}% of ideal`);
  console.log(`merr pipeline (${CHAIN} model stages per clip, BullMQ flows, ${clips} clips): ${fmt(queued)} calls/s = ${fmt((100 * queued) / ideal)}% of ideal`);
  console.log(`client-side cost per call (slot cycle minus latency): ${fmt((K * 1000) / pooled - LATENCY_MS)} ms`);
  console.log(`ratio merr / chain: ${(pooled / chain).toFixed(2)}x (client), ${(queued / chain).toFixed(2)}x (pipeline)`);
  if (pooled < 0.9 * ideal || queued < 0.9 * ideal) {
    console.log("below 90% of ideal");
    process.exitCode = 1;
  }
}

/** Three stages that each make one model call, compiled into one flow per clip and run by runBuild. */
async function throughQueue(serverUrl: string, clips: number): Promise<number> {
  const stages = chainStages("model", CHAIN, z.object({ text: z.string() }), async (i, sample, _prev, ctx) => {
    const client = await modelClientFromContext(ctx, "openai:bench");
    const answer = await client.generate({ promptId: "bench@1", prompt: `${sample.id} step ${i}`, signal: ctx.signal });
    return { text: answer.text };
  });
  // Each queue may hold K jobs in flight; the per-backend limiter (shared by the three stages) keeps
  // the total at K, the server's capacity.
  const pipeline = definePipeline({ name: "bench-models", description: "", stages: stages.map((stage) => ({ stage, attempts: 1, concurrency: K })) });
  const outDir = path.join(os.tmpdir(), `merr-bench-models-${process.pid}`);
  const samples = Array.from({ length: clips }, (_, i) => ({ id: `clip_${i}`, path: `/nonexistent/${i}.mp4`, source: "bench" }));
  const t0 = performance.now();
  const res = await runBuild({
    outDir, source: "bench", samples, plan: compilePipeline(pipeline), registry: new Map(stages.map((s) => [s.name, s])),
    prefix: "merr-bench-models", inProcessWorkers: true, logger: silentLogger, progress: "none",
    settings: { models: { openai: { baseUrl: `${serverUrl}/v1`, concurrency: K, retries: 0, timeoutMs: 30_000 } } },
  });
  const seconds = (performance.now() - t0) / 1000;
  await rm(outDir, { recursive: true, force: true });
  if (res.summary.samples.done !== clips) throw new Error(`only ${res.summary.samples.done}/${clips} clips finished`);
  return (clips * CHAIN) / seconds;
}

await main();
