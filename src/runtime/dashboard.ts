import { timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { type NextFunction, type Request, type Response } from "express";
import { MerrError } from "../core/errors.ts";
import { closeQueues, openQueues, type QueueSettings } from "./bull.ts";
import { localGuard, LOOPBACK_HOSTS, newToken } from "./local-guard.ts";

export interface DashboardOptions extends QueueSettings {
  queues: string[];
  /** @defaultValue "127.0.0.1" */
  host: string;
  /** 0 picks a free port. @defaultValue 3000 */
  port: number;
  /** "user:password" for HTTP basic auth; required when binding a non-loopback host. */
  auth?: string;
  basePath?: string;
}

export interface Dashboard {
  url: string;
  /** Per-start token for scripts that change queue state without a browser (header x-merr-token). */
  token: string;
  close(): Promise<void>;
}

function basicAuth(credentials: string) {
  const expected = Buffer.from(`Basic ${Buffer.from(credentials).toString("base64")}`);
  return (req: Request, res: Response, next: NextFunction): void => {
    const got = Buffer.from(req.headers.authorization ?? "");
    if (got.length === expected.length && timingSafeEqual(got, expected)) return next();
    res.setHeader("WWW-Authenticate", 'Basic realm="merr dashboard"');
    res.status(401).send("authentication required");
  };
}

/** Serves Bull Board over the stage queues. Bound to loopback unless a host and credentials are given. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  if (!LOOPBACK_HOSTS.has(o.host) && !o.auth) {
    throw new MerrError("E_USAGE", `--host ${o.host} exposes the dashboard beyond this machine; add --auth user:password (or keep the default 127.0.0.1)`);
  }
  if (o.auth !== undefined && !/^[^:]+:.+$/.test(o.auth)) throw new MerrError("E_USAGE", "--auth must be user:password");
  const basePath = o.basePath ?? "/";
  const queues = openQueues(o, o.queues);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: [...queues.values()].map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "merr" } },
  });
  const app = express();
  app.disable("x-powered-by");
  // Bound to loopback, only loopback names may address it (no DNS rebinding); bound beyond loopback,
  // the credentials guard it and any name of the machine may be used.
  const token = newToken();
  app.use(localGuard({ allowedHosts: LOOPBACK_HOSTS.has(o.host) ? LOOPBACK_HOSTS : "any", token }));
  if (o.auth) app.use(basicAuth(o.auth));
  app.use(basePath, serverAdapter.getRouter());
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(o.port, o.host, () => resolve(s));
    s.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new MerrError("E_USAGE", `port ${o.port} on ${o.host} is in use; pass --port`) : error),
    );
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}${basePath}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeQueues(queues);
    },
  };
}
