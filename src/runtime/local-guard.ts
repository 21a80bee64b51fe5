/**
 * Keeps merr's local web servers (the dashboard, and any later local page) for the user who started
 * them. A server bound to 127.0.0.1 is still reachable from any web page the user opens: through DNS
 * rebinding (evil.example resolving to 127.0.0.1) and through cross-site form posts. So:
 * - a request whose Host header is not a name of the bound address is refused (rebinding sends the
 *   attacker's name);
 * - a state-changing request (anything but GET, HEAD, OPTIONS) must come from the page itself (an
 *   `Origin` equal to the address it was sent to) or carry the per-start token (`x-merr-token` header
 *   or `?token=`), for scripts such as curl, which send no Origin.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

export interface LocalGuardOptions {
  /** Host names (no port) a request may address; "any" when the server is bound beyond loopback with credentials. */
  allowedHosts: ReadonlySet<string> | "any";
  /** Accepted instead of a same-origin `Origin` on state-changing requests. */
  token: string;
}

export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1"]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A fresh per-start token (128 bits, hex). */
export function newToken(): string {
  return randomBytes(16).toString("hex");
}

/** The host name of a Host header value (`[::1]:3000` -> `::1`, `localhost:80` -> `localhost`). Pure. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(1, end) : undefined;
  }
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

const sameToken = (got: string | undefined, want: string): boolean => {
  if (!got) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

/** Decides one request. Pure. */
export function checkLocalRequest(
  req: { method: string; host?: string; origin?: string; token?: string },
  o: LocalGuardOptions,
): GuardVerdict {
  const name = hostName(req.host);
  if (o.allowedHosts !== "any" && (!name || !o.allowedHosts.has(name))) {
    return { ok: false, reason: `Host "${req.host ?? ""}" is not this server's address (allowed: ${[...o.allowedHosts].join(", ")})` };
  }
  if (SAFE_METHODS.has(req.method.toUpperCase())) return { ok: true };
  if (req.origin !== undefined && req.origin !== "null") {
    let originHost: string | undefined;
    try {
      originHost = new URL(req.origin).host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (originHost !== undefined && originHost === req.host?.trim().toLowerCase()) return { ok: true };
    return { ok: false, reason: `a ${req.method} from origin ${req.origin} is not from this page (${req.host ?? "?"})` };
  }
  if (sameToken(req.token, o.token)) return { ok: true };
  return { ok: false, reason: `a ${req.method} needs this page's Origin or the server's token (header x-merr-token)` };
}

/** Express middleware for {@link checkLocalRequest}: refused requests get 403 with the reason. */
export function localGuard(o: LocalGuardOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const query = typeof req.query.token === "string" ? req.query.token : undefined;
    const header = req.headers["x-merr-token"];
    const verdict = checkLocalRequest(
      { method: req.method, host: req.headers.host, origin: req.headers.origin, token: (Array.isArray(header) ? header[0] : header) ?? query },
      o,
    );
    if (verdict.ok) return next();
    res.status(403).type("text/plain").send(`refused: ${verdict.reason}\n`);
  };
}
