import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { stageOptionsFromFlags } from "../../src/cli/commands/build.ts";
import { main } from "../../src/cli/merr.ts";
import { parseConcurrency, parseSourceOption, parseStageSets } from "../../src/cli/options.ts";
import { coerceError, MerrError } from "../../src/core/errors.ts";
import { loadConfig } from "../../src/core/config.ts";
import { checkRedis, redactUrl, redisOptionsFor } from "../../src/core/redis.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

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
    // merr build and merr worker name the stages they know: a misspelt stage is refused, not ignored.
    expect(parseConcurrency(["probe=4"], ["probe", "fine"])).toEqual({ probe: 4 });
    expect(() => parseConcurrency(["nostage=2"], ["probe", "fine"])).toThrow('[E_USAGE] --concurrency "nostage=2": no stage "nostage" (stages: probe, fine)');
  });
});

describe("stage options from build flags", () => {
  const media = { name: "media", stages: ["probe", "extract-audio", "sample-frames"] };
  const flags = { source: "mer2023-semi", out: "/tmp/unused", pipeline: "media", workers: true };
  it("leave out what a source or the environment implies for a stage the pipeline does not have", () => {
    // MER2023-SEMI implies Mandarin recognition; the media pipeline has no transcript stage.
    expect(stageOptionsFromFlags(flags, "/opt/OpenFace/FeatureExtraction", media)).toEqual({});
    expect(stageOptionsFromFlags({ ...flags, language: "en" }, undefined, media)).toEqual({});
    expect(stageOptionsFromFlags(flags, undefined).transcript).toEqual({ language: "zh" });
  });
  it("refuse a flag the user gave for a stage the pipeline does not have, naming the flag and the fix", () => {
    expect(() => stageOptionsFromFlags({ ...flags, rules: "merr-clean" }, undefined, media)).toThrow(
      "[E_USAGE] --rules sets an option of stage au-analyze, which pipeline media does not have (stages: probe, extract-audio, sample-frames): leave it out, or build with --pipeline merr",
    );
    expect(() => stageOptionsFromFlags({ ...flags, reason: "builtin" }, undefined, media)).toThrow(/^\[E_USAGE\] --reason sets an option of stage fine/);
  });
});

/** Runs main() in this process with stdout and stderr captured (and the signal handlers of build and worker removed). */
async function merr(...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = signals.map((s) => new Set(process.listeners(s)));
  try {
    return { code: await main(argv), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
    signals.forEach((s, i) => process.listeners(s).filter((l) => !before[i]!.has(l)).forEach((l) => process.off(s, l)));
  }
}

describe("usage errors commander catches", () => {
  it("exit 64 (E_USAGE) in every subcommand, not 1 (a bug); help and version exit 0", async () => {
    for (const argv of [["build", "--bogus"], ["build", "--out"], ["status"], ["eval"], ["export", "--format"], ["au", "analyze"], ["bogus"]]) {
      const r = await merr(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 64 });
      expect(r.stderr).toMatch(/^error: /m);
    }
    // --source: a name in any case; a path where the name belongs is told the flags it needs
    // --features for a pipeline without the features stage: refused by name before any model file is read
    const media = await merr("build", "--pipeline", "media", "--features", "HL-UTT=onnx:/nonexistent/hubert.onnx", "--out", path.join(await tempOutDir(), "o"));
    expect(media).toMatchObject({ code: 64, stderr: expect.stringContaining("[E_USAGE] --features sets an option of stage features, which pipeline media does not have") });
    const nope = await merr("build", "--source", "nope");
    expect(nope).toMatchObject({ code: 64, stderr: expect.stringContaining('[E_USAGE] --source "nope" is not a source: use one of sample, folder, manifest, mer2023-semi') });
    const dir = await tempOutDir();
    const folder = await merr("build", "--source", dir);
    expect(folder.code).toBe(64);
    expect(folder.stderr).toContain(`is a folder: --source says what kind of source it is (sample, folder, manifest, mer2023-semi); for the clips in it, use --source folder --input "${dir}"`);
    await writeFile(path.join(dir, "clips.csv"), "path\n");
    expect((await merr("build", "--source", path.join(dir, "clips.csv"))).stderr).toContain(`use --source manifest --input "${path.join(dir, "clips.csv")}"`);
    expect(parseSourceOption("MER2023-SEMI")).toBe("mer2023-semi");
    expect(parseSourceOption(" Folder ")).toBe("folder");
    for (const argv of [["--help"], ["--version"], ["build", "--help"], ["help", "eval"]]) expect((await merr(...argv)).code).toBe(0);
  });
});

describe("merr build and merr worker refuse bad flags before any work", () => {
  it("stage options, stage names, backends and export formats that do not exist, a file as --out: refused, nothing written", async () => {
    const out = path.join(await tempOutDir(), "run");
    const build = (...flags: string[]) => merr("build", "--limit", "1", "--out", out, "--no-preflight", ...flags);
    const opt = await build("--set", "au-analyze.nope=1");
    expect(opt.code).toBe(64);
    expect(opt.stderr).toMatch(/\[E_USAGE\] stage "au-analyze" has no option "nope" \(its options: rules, peakMethod, .*\)/);
    const conc = await build("--concurrency", "nostage=2");
    expect(conc.code).toBe(64);
    expect(conc.stderr).toContain('[E_USAGE] --concurrency "nostage=2": no stage "nostage" (stages: probe, ');
    // A backend its stage cannot parse, and export formats that do not exist, failed only once the build had run.
    const asr = await build("--asr", "whisper");
    expect(asr.code).toBe(78);
    expect(asr.stderr).toContain('[E_CONFIG_INVALID] stage transcript: invalid options: asr: asr "whisper": unknown (expected none, pocketsphinx, openai:<model> or gemini:<model>)');
    const format = await build("--export", path.join(out, "x"), "--export-format", "emotion-llama,foo");
    expect(format.code).toBe(64);
    expect(format.stderr).toMatch(/\[E_USAGE\] unknown export format "foo"; choose from merr, emotion-llama, sharegpt, jsonl, csv/);
    expect(existsSync(out)).toBe(false);
    // A file where a folder should be (it was E_INTERNAL EEXIST from mkdir, ENOTDIR for status).
    const file = path.join(path.dirname(out), "file");
    await writeFile(file, "");
    const onFile = await merr("build", "--out", file, "--no-preflight");
    expect(onFile.code).toBe(64);
    expect(onFile.stderr).toContain(`merr: [E_USAGE] --out ${file} is a file, not a folder; give a folder (merr creates it when it is missing)\n`);
    expect((await build("--export", file)).stderr).toContain(`[E_USAGE] --export ${file} is a file, not a folder`);
    const status = await merr("status", "--out", file);
    expect(status.code).toBe(64);
    expect(status.stderr).toContain(`[E_USAGE] --out ${file} is a file, not a folder; give the --out of a merr build`);
    expect(existsSync(out)).toBe(false);
    // A worker checks its flags before it looks for Redis (nothing listens on port 1).
    const worker = await merr("worker", "--redis", "redis://127.0.0.1:1", "--concurrency", "nostage=2");
    expect(worker.code).toBe(64);
    expect(worker.stderr).toMatch(/no stage "nostage" \(stages: .*finalize\)/);
  });
});

describe("config and errors", () => {
  it("layers env under flags and validates", () => {
    expect(loadConfig({}, { MERR_REDIS_URL: "redis://h:1", MERR_PREFIX: "p" })).toMatchObject({ redis: "redis://h:1", prefix: "p" });
    expect(loadConfig({ redis: "redis://x:2" }, { MERR_REDIS_URL: "redis://h:1" }).redis).toBe("redis://x:2");
    expect(() => loadConfig({ prefix: "a:b" }, {})).toThrow(/--prefix/);
    expect(Object.isFrozen(loadConfig({}, {}))).toBe(true);
  });
  it("redis targets: URL, unix socket, bad input named", async () => {
    expect(redisOptionsFor("redis://:pw@host:6380/2")).toMatchObject({ host: "host", port: 6380, password: "pw", db: 2 });
    expect(redisOptionsFor("unix:///tmp/r.sock")).toMatchObject({ path: "/tmp/r.sock" });
    expect(() => redisOptionsFor("http://x")).toThrow(/--redis "http:\/\/x" must start with redis:/);
    // No message prints a Redis password.
    expect(() => redisOptionsFor("http://:s3cret@x")).toThrow(/--redis "http:\/\/:\*\*\*@x\/" must start/);
    expect(() => redisOptionsFor("redis://:s3cret@host:port")).toThrow(/--redis "redis:\/\/\*\*\*@host:port" is not a Redis URL/);
    expect(redactUrl("redis://user:s3cret@queue-host:6379/0")).toBe("redis://user:***@queue-host:6379/0");
    const unreachable = await checkRedis("redis://:s3cret@127.0.0.1:1", 1000).catch((e: unknown) => e as Error);
    expect(String(unreachable)).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(String(unreachable)).not.toContain("s3cret");
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
    expect(() => parseRateLimits(["fien=1/1s"], ["probe", "fine"])).toThrow('[E_USAGE] --rate-limit "fien=1/1s": no stage "fien" (stages: probe, fine)');
  });
});
