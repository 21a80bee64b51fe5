/**
 * What merr's local web servers (`merr dashboard`, `merr view`) share: who may reach them and how they
 * listen. Bound to loopback by default; a host beyond loopback needs credentials (HTTP basic auth), and
 * {@link localGuard} keeps DNS rebinding and cross-site posts out in both cases.
 */
import { timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { MerrError } from "../core/errors.ts";
import { localGuard, LOOPBACK_HOSTS, newToken } from "./local-guard.ts";

export interface LocalServerOptions {
  /** @defaultValue "127.0.0.1" */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** "user:password" for HTTP basic auth; required when binding a non-loopback host. */
  auth?: string;
}

export interface LocalServer {
  url: string;
  /** Per-start token for scripts that change state without a browser (header x-merr-token). */
  token: string;
  close(): Promise<void>;
}

/** Throws E_USAGE for a host beyond loopback without credentials, or credentials not of the form user:password. */
export function checkExposure(o: LocalServerOptions, what: string): void {
  if (!LOOPBACK_HOSTS.has(o.host) && !o.auth) {
    throw new MerrError("E_USAGE", `--host ${o.host} exposes the ${what} beyond this machine; add --auth user:password (or keep the default 127.0.0.1)`);
  }
  if (o.auth !== undefined && !/^[^:]+:.+$/.test(o.auth)) throw new MerrError("E_USAGE", "--auth must be user:password");
}

/** HTTP basic auth against one `user:password`; the user name is left in `res.locals.user`. */
function basicAuth(credentials: string, realm: string) {
  const expected = Buffer.from(`Basic ${Buffer.from(credentials).toString("base64")}`);
  const user = credentials.slice(0, credentials.indexOf(":"));
  return (req: Request, res: Response, next: NextFunction): void => {
    const got = Buffer.from(req.headers.authorization ?? "");
    if (got.length === expected.length && timingSafeEqual(got, expected)) {
      res.locals.user = user;
      return next();
    }
    res.setHeader("WWW-Authenticate", `Basic realm="${realm}"`);
    res.status(401).send("authentication required");
  };
}

/**
 * A new express app with the guards installed before anything else: the local guard (loopback names
 * only when bound to loopback; same-origin or token for changes) and, with credentials, basic auth on
 * every request. Routes added afterwards are therefore never reachable without them.
 */
export function guardedApp(o: LocalServerOptions, what: string): { app: Express; token: string } {
  checkExposure(o, what);
  const app = express();
  app.disable("x-powered-by");
  const token = newToken();
  // Bound to loopback, only loopback names may address it (no DNS rebinding); bound beyond loopback,
  // the credentials guard it and any name of the machine may be used.
  app.use(localGuard({ allowedHosts: LOOPBACK_HOSTS.has(o.host) ? LOOPBACK_HOSTS : "any", token }));
  if (o.auth) app.use(basicAuth(o.auth, `merr ${what}`));
  return { app, token };
}

/** Listens on host:port; E_USAGE when the port is taken. `close()` drops open connections. */
export async function listenLocal(app: Express, o: LocalServerOptions, token: string, basePath = "/", onClose?: () => Promise<void>): Promise<LocalServer> {
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
      await onClose?.();
    },
  };
}
