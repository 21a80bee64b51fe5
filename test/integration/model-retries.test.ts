import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { modelClientFromContext } from "../../src/adapters/models/index.ts";
import { createLogger, silentLogger, type Logger } from "../../src/core/logger.ts";
import { createRedis } from "../../src/core/redis.ts";
import { readStageRecord } from "../../src/core/records.ts";
import { definePipeline } from "../../src/runtime/define.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { runBuild } from "../../src/runtime/run.ts";
import { defineStage } from "../../src/stages/_stage.ts";
import { startProtocolServer, type ProtocolServer, type ScriptedResponse } from "../conformance/protocol-server.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

/**
 * One retry layer: the queue. A stage that makes one model call per try, against a local server speaking
 * the OpenAI protocol, run by BullMQ workers: the server counts exactly how many requests each failure
 * class costs, and the clock how long a dead server holds a sample.
 */
const prefix = uniquePrefix();
const dirs: string[] = [];
let server: ProtocolServer;
const ok = (): ScriptedResponse => ({ body: { choices: [{ index: 0, message: { role: "assistant", content: "fine" } }] } });

beforeAll(async () => {
  server = await startProtocolServer(ok);
});
beforeEach(() => server.reset());
afterAll(async () => {
  await server.close();
  await dropPrefix(prefix);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ask = defineStage({
  name: "ask",
  version: 1,
  description: "one model call",
  reads: [],
  // As visual-describe and fine: the answer's token limit is a stage option.
  options: z.object({ maxTokens: z.number().int().positive().optional() }),
  output: z.object({ text: z.string() }),
  async run({ sample, options }, ctx) {
    const client = await modelClientFromContext(ctx, "openai:m");
    const maxTokens = options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens };
    return { text: (await client.generate({ promptId: "t@1", prompt: `about ${sample.id}`, ...maxTokens, signal: ctx.signal })).text };
  },
});

async function build(o: {
  ids: string[]; attempts: number; url?: string; timeoutMs?: number; concurrency?: number; apiKey?: string; options?: Record<string, unknown>; logger?: Logger;
  retryAfterMaxMs?: number;
}) {
  const outDir = await tempOutDir("merr-model-retries-");
  dirs.push(outDir);
  const pipeline = definePipeline({
    name: "ask", description: "",
    stages: [{ stage: ask, attempts: o.attempts, backoffMs: 100, concurrency: 1, ...(o.options ? { options: o.options } : {}) }],
  });
  const started = Date.now();
  const res = await runBuild({
    outDir, source: "test", samples: o.ids.map((id) => ({ id, path: `/nonexistent/${id}.mp4`, source: "test" })),
    plan: compilePipeline(pipeline), registry: new Map([[ask.name, ask]]), redis: testRedisUrl(), prefix,
    inProcessWorkers: true, logger: o.logger ?? silentLogger, progress: "none", concurrency: { ask: o.concurrency ?? 1 },
    settings: { models: { openai: { baseUrl: `${o.url ?? server.url}/v1`, timeoutMs: o.timeoutMs ?? 5000, ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.retryAfterMaxMs !== undefined ? { retryAfterMaxMs: o.retryAfterMaxMs } : {}) } } },
  });
  const record = (id: string) => readStageRecord(outDir, id, "ask");
  return { res, outDir, ms: Date.now() - started, record, error: async (id: string) => (await record(id))?.error };
}

/** Every file under `dir`, read as text. */
async function filesUnder(dir: string): Promise<Array<{ file: string; text: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, "utf8") })));
}

/** Every value this file's queues keep in Redis (job hashes: data, failedReason, stacktrace...), as text. */
async function redisText(): Promise<string> {
  const redis = createRedis(testRedisUrl());
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const values = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === "hash") return JSON.stringify(await redis.hgetall(key));
        if (type === "string") return (await redis.get(key)) ?? "";
        if (type === "list") return (await redis.lrange(key, 0, -1)).join("\n");
        return "";
      }),
    );
    return values.join("\n");
  } finally {
    await redis.quit();
  }
}

describe("model failures on a real queue: retries are BullMQ's only", () => {
  it("a 5xx costs exactly the stage's attempts in requests (not attempts x client retries)", async () => {
    server.fallback = () => ({ status: 500, body: { error: { message: "boom" } } });
    const { res, error } = await build({ ids: ["s5xx"], attempts: 3 });
    expect(res.summary.samples.failed).toBe(1);
    expect(server.requests).toHaveLength(3);
    expect(await error("s5xx")).toMatchObject({ code: "E_MODEL_UNAVAILABLE", message: expect.stringContaining("HTTP 500") });
  });

  it("a 4xx is not retried", async () => {
    server.fallback = () => ({ status: 400, body: { error: { message: "bad image" } } });
    const { res, error } = await build({ ids: ["s4xx"], attempts: 3 });
    expect(res.summary.samples.failed).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(await error("s4xx")).toMatchObject({ code: "E_MODEL_REJECTED" });
  });

  it("an API key the server echoes in its error never reaches the record", async () => {
    server.fallback = (r) => ({ status: 400, body: { error: { message: `rejected ${String(r.headers.authorization)}` } } });
    const { error } = await build({ ids: ["secret"], attempts: 1, apiKey: "sk-secret-123" });
    expect((await error("secret"))?.message).toBe("[E_MODEL_REJECTED] openai:m: server answered HTTP 400: rejected Bearer ***");
  });

  it("a password in the base URL reaches no record, summary or Redis value, whatever the server echoes", async () => {
    const withPassword = (url: string) => url.replace("http://", "http://alice:s3cretpw@");
    server.fallback = (r) => ({ status: 400, body: { error: { message: `rejected ${String(r.headers.authorization)} for ${withPassword("http://10.0.0.9:8000")}` } } });
    const echoed = await build({ ids: ["creds-echo"], attempts: 1, url: withPassword(server.url) });
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("alice:s3cretpw").toString("base64")}`);
    expect((await echoed.error("creds-echo"))?.message).toBe("[E_MODEL_REJECTED] openai:m: server answered HTTP 400: rejected Basic *** for http://***@10.0.0.9:8000");
    // A server that is down: before, fetch's refusal of a URL with credentials quoted it (--no-preflight).
    const dead = await startProtocolServer(ok);
    const deadUrl = dead.url;
    await dead.close();
    const down = await build({ ids: ["creds-down"], attempts: 1, url: withPassword(deadUrl) });
    expect((await down.error("creds-down"))?.message).toMatch(/cannot reach the server/);
    for (const { outDir } of [echoed, down]) {
      const files = await filesUnder(outDir);
      expect(files.map((f) => path.relative(outDir, f.file))).toEqual(expect.arrayContaining(["summary.json", path.join("samples", outDir === down.outDir ? "creds-down" : "creds-echo", "sample.json")]));
      for (const { file, text } of files) expect(text, file).not.toMatch(/s3cretpw|YWxpY2U6czNjcmV0cHc|alice/);
    }
    expect(await redisText()).not.toMatch(/s3cretpw|YWxpY2U6czNjcmV0cHc|alice/);
  });

  it("a server that never answers fails the sample after two timeouts, whatever the attempts", async () => {
    server.fallback = () => ({ ...ok(), delayMs: 3000 });
    const { res, ms, error, record } = await build({ ids: ["hung"], attempts: 5, timeoutMs: 300 });
    expect(res.summary.samples.failed).toBe(1);
    expect((await record("hung"))?.attempt).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(await error("hung")).toMatchObject({ code: "E_TIMEOUT", message: expect.stringMatching(/^\[E_TIMEOUT\] openai:m: no answer within \d+ ms \(MERR_OPENAI_TIMEOUT_MS\)$/) });
    // 2 x 300 ms plus one backoff (<= 100 ms) plus the queue's own overhead; 5 tries would need >= 1.5 s.
    expect(ms).toBeLessThan(1500);
  });

  it("an answer cut off at the token limit is asked twice at most, then fails the sample naming the stage option to raise", async () => {
    server.fallback = () => ({ body: { choices: [{ index: 0, message: { role: "assistant", content: "She speaks with a loud, tense voice and a sharply falling into" }, finish_reason: "length" }] } });
    const { res, error } = await build({ ids: ["cut"], attempts: 5, options: { maxTokens: 400 } });
    expect(res.summary.samples.failed).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(await error("cut")).toEqual({
      code: "E_MODEL_OUTPUT_INVALID",
      message:
        '[E_MODEL_OUTPUT_INVALID] openai:m: answer cut off at the token limit (400 tokens; finish_reason "length"): "She speaks with a loud, tense voice and a sharply falling into"' +
        "; raise the stage option ask.maxTokens (now 400), e.g. --set ask.maxTokens=800",
    });
  });

  it("a dead server (connection refused) fails the sample after the stage's attempts, within their backoff", async () => {
    const dead = await startProtocolServer(ok);
    const url = dead.url;
    await dead.close();
    const { res, ms, error, record } = await build({ ids: ["refused"], attempts: 3, url });
    expect(res.summary.samples.failed).toBe(1);
    expect((await record("refused"))?.attempt).toBe(3);
    expect(await error("refused")).toEqual({
      code: "E_MODEL_UNAVAILABLE",
      message: `[E_MODEL_UNAVAILABLE] openai:m: cannot reach the server at ${url}/v1 (ECONNREFUSED; the URL is set by OPENAI_BASE_URL): start it there, or set OPENAI_BASE_URL to where it listens`,
    });
    expect(ms).toBeLessThan(3000); // backoff 100 + 200 ms (with jitter, at most) plus the build itself
  });

  it("a transient 5xx is retried by the queue and the sample completes", async () => {
    server.queue = [{ status: 503, body: { error: { message: "loading model" } } }];
    const { res } = await build({ ids: ["flaky"], attempts: 3 });
    expect(res.summary.samples.done).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it("a 429 wait is logged with the sample and job that waits, each field once (one client serves every job)", async () => {
    const asked = new Set<string>();
    server.fallback = (r) => {
      const prompt = JSON.stringify(r.json);
      // Every sample's first request: come back in 50 ms.
      if (asked.has(prompt)) return ok();
      asked.add(prompt);
      return { status: 429, body: { error: "slow down" }, headers: { "retry-after": "0.05" } };
    };
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    const ids = ["first", "second", "third"];
    const { res } = await build({ ids, attempts: 1, concurrency: 1, logger });
    expect(res.summary.samples.done).toBe(3);
    const waits = lines.filter((l) => l.includes("asked to retry later"));
    expect(waits).toHaveLength(3);
    const fields = waits.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(fields.map((f) => f.sample).sort()).toEqual([...ids].sort());
    expect(new Set(fields.map((f) => f.jobId)).size).toBe(3);
    for (const f of fields) expect(f).toMatchObject({ stage: "ask", backend: "openai:m", delayMs: 50, attempt: 1 });
    // pino writes every binding it is given: a key twice in a line was a logger scoped twice.
    for (const line of waits) for (const key of ["stage", "sample", "backend", "runId", "jobId"]) expect(line.split(`"${key}":`), line).toHaveLength(2);
  });

  it("a 429 whose Retry-After is longer than a call waits makes the queue wait at least that long before the next try", async () => {
    const times: number[] = [];
    server.fallback = () => {
      times.push(Date.now());
      return times.length === 1 ? { status: 429, body: { error: "slow down" }, headers: { "retry-after": "1.5" } } : ok();
    };
    // A call waits out 200 ms at most: the 1.5 s is the queue's to wait (backoff 100 ms).
    const { res } = await build({ ids: ["patient"], attempts: 3, retryAfterMaxMs: 200 });
    expect(res.summary.samples.done).toBe(1);
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1500);
  });

  it("the calls in flight are the stage's --concurrency: no hidden per-backend cap", async () => {
    server.fallback = () => ({ ...ok(), delayMs: 300 });
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const { res } = await build({ ids, attempts: 1, concurrency: 8 });
    expect(res.summary.samples.done).toBe(8);
    expect(server.maxInFlight).toBe(8);
  });
});
