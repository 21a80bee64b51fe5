import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/merr.ts";
import { parseConcurrency, parseStageSets } from "../../src/cli/options.ts";
import { coerceError, MerrError } from "../../src/core/errors.ts";
import { loadConfig } from "../../src/core/config.ts";
import { redisOptionsFor } from "../../src/core/redis.ts";

describe("CLI option parsing", () => {
  it("--set stage.option=value with JSON values", () => {
    expect(parseStageSets(["sample-frames.fps=4", "au-extract.extractor=openface", "x.flag=true"])).toEqual({
      "sample-frames": { fps: 4 },
      "au-extract": { extractor: "openface" },
      x: { flag: true },
    });
    expect(() => parseStageSets(["fps=4"])).toThrow(/stage\.option=value/);
  });
  it("--concurrency stage=n", () => {
    expect(parseConcurrency(["probe=4"])).toEqual({ probe: 4 });
    expect(() => parseConcurrency(["probe=0"])).toThrow(/n >= 1/);
  });
});

describe("usage errors commander catches", () => {
  /** Runs main() in this process with stdout and stderr captured. */
  async function merr(...argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = "";
    const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      return { code: await main(argv), stderr };
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  }

  it("exit 64 (E_USAGE) in every subcommand, not 1 (a bug); help and version exit 0", async () => {
    for (const argv of [["build", "--bogus"], ["build", "--source", "nope"], ["build", "--out"], ["status"], ["eval"], ["export", "--format"], ["au", "analyze"], ["bogus"]]) {
      const r = await merr(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 64 });
      expect(r.stderr).toMatch(/^error: /m);
    }
    expect((await merr("build", "--source", "nope")).stderr).toMatch(/Allowed choices are sample, folder, manifest, mer2023-semi/);
    for (const argv of [["--help"], ["--version"], ["build", "--help"], ["help", "eval"]]) expect((await merr(...argv)).code).toBe(0);
  });
});

describe("config and errors", () => {
  it("layers env under flags and validates", () => {
    expect(loadConfig({}, { MERR_REDIS_URL: "redis://h:1", MERR_PREFIX: "p" })).toMatchObject({ redis: "redis://h:1", prefix: "p" });
    expect(loadConfig({ redis: "redis://x:2" }, { MERR_REDIS_URL: "redis://h:1" }).redis).toBe("redis://x:2");
    expect(() => loadConfig({ prefix: "a:b" }, {})).toThrow(/--prefix/);
    expect(Object.isFrozen(loadConfig({}, {}))).toBe(true);
  });
  it("redis targets: URL, unix socket, bad input named", () => {
    expect(redisOptionsFor("redis://:pw@host:6380/2")).toMatchObject({ host: "host", port: 6380, password: "pw", db: 2 });
    expect(redisOptionsFor("unix:///tmp/r.sock")).toMatchObject({ path: "/tmp/r.sock" });
    expect(() => redisOptionsFor("http://x")).toThrow(/--redis "http:\/\/x" must start with redis:/);
  });
  it("codes survive as text and decide retries", () => {
    const e = new MerrError("E_MEDIA_INVALID", "bad file");
    expect(e.message).toBe("[E_MEDIA_INVALID] bad file");
    expect(e.retryable).toBe(false);
    const back = coerceError(new Error(e.message));
    expect(back.code).toBe("E_MEDIA_INVALID");
    expect(coerceError("x").code).toBe("E_INTERNAL");
  });
});

describe("--rate-limit", () => {
  it("parses stage=max/seconds", async () => {
    const { parseRateLimits } = await import("../../src/cli/options.ts");
    expect(parseRateLimits(["fine=60/60s", "visual-describe=5/1.5"])).toEqual({ fine: { max: 60, durationMs: 60_000 }, "visual-describe": { max: 5, durationMs: 1500 } });
    expect(() => parseRateLimits(["fine=60"])).toThrow(/stage=max\/seconds/);
  });
});
