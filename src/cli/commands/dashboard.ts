import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../core/config.ts";
import { MerrError } from "../../core/errors.ts";
import { checkRedis } from "../../core/redis.ts";
import { startDashboard } from "../../runtime/dashboard.ts";
import { socketPathFor } from "../../runtime/embedded-redis.ts";
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
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  await dash.close();
  return 0;
}
