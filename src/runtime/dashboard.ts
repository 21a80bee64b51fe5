import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { closeQueues, openQueues, type QueueSettings } from "./bull.ts";
import { guardedApp, listenLocal, type LocalServer, type LocalServerOptions } from "./local-server.ts";

export interface DashboardOptions extends QueueSettings, LocalServerOptions {
  queues: string[];
  basePath?: string;
}

export type Dashboard = LocalServer;

/** Serves Bull Board over the stage queues. Bound to loopback unless a host and credentials are given. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const { app, token } = guardedApp(o, "dashboard");
  const basePath = o.basePath ?? "/";
  const queues = openQueues(o, o.queues);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: [...queues.values()].map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "merr" } },
  });
  // Bull Board's page template asks fonts.googleapis.com for its fonts: a dashboard on an offline cluster
  // would wait on it, and any other tells Google who opened it. The page is served without that link (the
  // system fonts stand in).
  app.use(basePath, (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === "string" ? withoutExternalFonts(body) : body);
    next();
  });
  app.use(basePath, serverAdapter.getRouter());
  try {
    return await listenLocal(app, o, token, basePath, () => closeQueues(queues));
  } catch (error) {
    await closeQueues(queues);
    throw error;
  }
}

/** An HTML page without `<link>` elements that load fonts from Google's servers. Pure. */
export function withoutExternalFonts(html: string): string {
  return html.replace(/<link\b[^>]*\bhref="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^"]*"[^>]*>\s*/gi, "");
}
