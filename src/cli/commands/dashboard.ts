import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../core/config.ts";
import { MerrError } from "../../core/errors.ts";
import { checkRedis } from "../../core/redis.ts";
import { startDashboard } from "../../runtime/dashboard.ts";
import { socketPathFor } from "../../runtime/embedded-redis.ts";
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

/** `merr dashboard`: Bull Board over every stage queue until Ctrl-C. */
export async function dashboardCommand(flags: DashboardFlags, signal: AbortSignal): Promise<number> {
  const config = loadConfig({ redis: flags.redis, prefix: flags.prefix });
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
  const dash = await startDashboard({ redis, prefix: config.prefix, queues: [...STAGES.keys(), FINALIZE], host: flags.host, port: flags.port, auth });
  process.stdout.write(`merr dashboard: ${dash.url} (Ctrl-C to stop)\n`);
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
        process.stderr.write(`merr dashboard: Redis at ${redis} is unreachable (${cause}); waiting for it\n`);
      }
    },
    onUp: () => void process.stderr.write(`merr dashboard: Redis at ${redis} is back\n`),
  });
  const done = AbortSignal.any([signal, stopped.signal]);
  if (!done.aborted) await new Promise<void>((resolve) => done.addEventListener("abort", () => resolve(), { once: true }));
  watcher.stop();
  // Closing the queues waits for Redis; when it is gone that wait never ends, so a signal stops at once.
  await Promise.race([dash.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  return 0;
}
