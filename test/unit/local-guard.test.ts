import { describe, expect, it } from "vitest";
import { checkLocalRequest, hostName, LOOPBACK_HOSTS } from "../../src/runtime/local-guard.ts";

const o = { allowedHosts: LOOPBACK_HOSTS, token: "t0k3n" };

describe("local web server guard", () => {
  it("reads the host name of Host headers, with ports and IPv6 brackets", () => {
    expect(hostName("127.0.0.1:3000")).toBe("127.0.0.1");
    expect(hostName("[::1]:8080")).toBe("::1");
    expect(hostName("LocalHost")).toBe("localhost");
    expect(hostName(undefined)).toBeUndefined();
  });
  it("refuses foreign or missing Host names, lets safe requests from loopback names through", () => {
    expect(checkLocalRequest({ method: "GET", host: "evil.example:3000" }, o)).toMatchObject({ ok: false });
    expect(checkLocalRequest({ method: "GET" }, o)).toMatchObject({ ok: false });
    expect(checkLocalRequest({ method: "GET", host: "[::1]:3000" }, o)).toEqual({ ok: true });
    expect(checkLocalRequest({ method: "GET", host: "evil.example", origin: "x" }, { ...o, allowedHosts: "any" })).toEqual({ ok: true });
  });
  it("lets a state change through only from the same origin or with the token", () => {
    const host = "127.0.0.1:3000";
    expect(checkLocalRequest({ method: "PUT", host, origin: "http://127.0.0.1:3000" }, o)).toEqual({ ok: true });
    expect(checkLocalRequest({ method: "PUT", host, origin: "http://127.0.0.1:4000" }, o)).toMatchObject({ ok: false });
    expect(checkLocalRequest({ method: "POST", host, origin: "null" }, o)).toMatchObject({ ok: false });
    expect(checkLocalRequest({ method: "DELETE", host }, o)).toMatchObject({ ok: false });
    expect(checkLocalRequest({ method: "DELETE", host, token: "t0k3n" }, o)).toEqual({ ok: true });
    expect(checkLocalRequest({ method: "DELETE", host, token: "t0k3" }, o)).toMatchObject({ ok: false });
  });
});
