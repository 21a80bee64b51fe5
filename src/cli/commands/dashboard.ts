import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { givenQueueSettings, loadConfig } from "../../core/config.ts";
import { MerrError } from "../../core/errors.ts";
import { checkRedis, createRedis, redactUrl } from "../../core/redis.ts";
import { startDashboard } from "../../runtime/dashboard.ts";
import { socketPathFor } from "../../runtime/embedded-redis.ts";
import { readRunManifest } from "../../runtime/manifest.ts";
import { watchRedis } from "../../runtime/redis-watch.ts";
import { FINALIZE } from "../../runtime/plan.ts";
import { STAGES } from "../../stages/index.ts";

export interface DashboardFlags {
  redis?: string;
  out?: string;
  prefix?: string;
  host: string;
  port: number;
  auth?: string;
}

/** Whether any key lies under `prefix:` (a bounded SCAN: a few thousand keys at most are looked at). */
async function hasKeysUnder(redis: string, prefix: string): Promise<boolean> {
  const client = createRedis(redis, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    for (let i = 0; i < 5; i++) {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      // A queue's `meta` key is written by whoever opens it, a dashboard too: jobs and their lists count.
      if (keys.some((k) => !k.endsWith(":meta"))) return true;
      cursor = next;
      if (cursor === "0") return false;
    }
    return true; // not found in the first keys of a large Redis: say nothing
  } catch {
    return true;
  } finally {
    client.disconnect();
  }
}

/** `merr dashboard`: Bull Board over every stage queue until Ctrl-C. */
export async function dashboardCommand(flags: DashboardFlags, signal: AbortSignal): Promise<number> {
  // The queues of a build's own Redis (--out) are under the prefix that build used, unless one is given.
  const built = flags.out && givenQueueSettings(flags).prefix === undefined ? await readRunManifest(path.resolve(flags.out)).catch(() => undefined) : undefined;
  const config = loadConfig({ redis: flags.redis, prefix: flags.prefix ?? built?.prefix });
  let redis = config.redis;
  if (!redis && flags.out) {
    // The embedded Redis of a running `merr build --out DIR`.
    const socket = socketPathFor(path.join(path.resolve(flags.out), "redis"));
    if (!existsSync(socket)) throw new MerrError("E_USAGE", `--out ${flags.out}: no running embedded Redis (is merr build running?); or pass --redis URL`);
    redis = `unix://${socket}`;
  }
  if (!redis) throw new MerrError("E_USAGE", "merr dashboard needs --redis URL, or --out DIR of a running merr build");
  await checkRedis(redis);
  const auth = flags.auth ?? config.dashboardAuth;
  // Before the dashboard opens the queues. A shared Redis may hold other setups' queues: an empty prefix is
  // most likely a mistyped one. (A build's own Redis, --out, is this build's by construction.)
  const empty = config.redis !== undefined && !(await hasKeysUnder(redis, config.prefix));
  const dash = await startDashboard({ redis, prefix: config.prefix, queues: [...STAGES.keys(), FINALIZE], host: flags.host, port: flags.port, auth });
  // Bound to every interface, the URL to open from another machine names this one.
  const anyHost = flags.host === "0.0.0.0" || flags.host === "::";
  const url = anyHost ? dash.url.replace(/\/\/(?:0\.0\.0\.0|\[::\])/, `//${os.hostname()}`) : dash.url;
  process.stdout.write(`merr dashboard: ${url} (queues under prefix "${config.prefix}"; Ctrl-C to stop)\n`);
  if (empty) {
    process.stderr.write(
      `merr dashboard: this Redis holds no queue under prefix "${config.prefix}" yet; the queues fill when a build enqueues there (is --prefix the one the build uses?)\n`,
    );
  }
  process.stdout.write(`scripts that change queues without the browser send the header x-merr-token: ${dash.token}\n`);
  // A build's embedded Redis ends with the build: then there is nothing left to show, so say so once and
  // stop. A shared Redis (--redis) may come back: say once that it is gone, once that it is back.
  const embedded = !config.redis && flags.out !== undefined;
  const stopped = new AbortController();
  const watcher = watchRedis(redis, {
    signal,
    onDown: (cause) => {
      if (embedded) {
        process.stderr.write(`merr dashboard: the Redis of the build in ${flags.out} is gone (the build ended); stopping\n`);
        stopped.abort();
      } else {
        process.stderr.write(`merr dashboard: Redis at ${redactUrl(redis)} is unreachable (${cause}); waiting for it\n`);
      }
    },
    onUp: () => void process.stderr.write(`merr dashboard: Redis at ${redactUrl(redis)} is back\n`),
  });
  const done = AbortSignal.any([signal, stopped.signal]);
  if (!done.aborted) await new Promise<void>((resolve) => done.addEventListener("abort", () => resolve(), { once: true }));
  watcher.stop();
  // Closing the queues waits for Redis; when it is gone that wait never ends, so a signal stops at once.
  await Promise.race([dash.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  return 0;
}
