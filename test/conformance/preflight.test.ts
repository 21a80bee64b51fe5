import { createServer } from "node:net";
import { writeFile, chmod, access, copyFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPipeline } from "../../pipelines/index.ts";
import { checkModelBackend } from "../../src/adapters/models/preflight.ts";
import { pocketsphinxSamples } from "../../src/cli/announce.ts";
import { projectPath } from "../../src/core/paths.ts";
import { parseModelSettings } from "../../src/adapters/models/settings.ts";
import { MerrError } from "../../src/core/errors.ts";
import { compilePipeline } from "../../src/runtime/plan.ts";
import { preflightTargetsOfPlan, preflightTargetsOfWorker, runPreflight } from "../../src/runtime/preflight.ts";
import { runMerr } from "../helpers/cli.ts";
import { tempDir } from "../helpers/temp.ts";
import { startProtocolServer, type ProtocolServer } from "./protocol-server.ts";

/** A loopback port that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let server: ProtocolServer;
beforeAll(async () => {
  server = await startProtocolServer((r) => {
    if (r.path === "/api/tags") return { body: { models: [{ name: "llava:13b", model: "llava:13b" }, { name: "llama3:latest", model: "llama3:latest" }] } };
    if (r.path === "/v1/models") {
      return r.headers.authorization === "Bearer good" ? { body: { object: "list", data: [{ id: "Qwen2-Audio-7B-Instruct" }] } } : { status: 401, body: { error: { message: "invalid api key" } } };
    }
    if (r.path.startsWith("/v1beta/models")) {
      if (r.headers["x-goog-api-key"] !== "gk") return { status: 400, body: { error: { message: "API key not valid" } } };
      if (r.path.startsWith("/v1beta/models?")) return { body: { models: [{ name: "models/gemini-1.5-flash" }, { name: "models/gemini-2.0-flash" }] } };
      return r.path === "/v1beta/models/gemini-1.5-flash" ? { body: { name: "models/gemini-1.5-flash" } } : { status: 404, body: { error: { message: "not found" } } };
    }
    return { status: 404, body: { error: "no route" } };
  });
});
afterAll(async () => server.close());

describe("checkModelBackend", () => {
  it("fails fast against a closed port, naming the URL, OLLAMA_HOST and the fix", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const r = await checkModelBackend("ollama", "llava", parseModelSettings({ ollama: { baseUrl: url } }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ ok: false, code: "E_MODEL_UNAVAILABLE", url: `${url}/api/tags` });
    expect(r.message).toContain(`cannot reach ${url}/api/tags (ECONNREFUSED)`);
    expect(r.message).toMatch(/set by OLLAMA_HOST. Fix: set OLLAMA_HOST to where the server listens/);
  });

  it("says when the URL is the default because the variable is unset", async () => {
    const r = await checkModelBackend("openai", "m", parseModelSettings({}), {
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      },
    });
    expect(r.message).toMatch(/http:\/\/127\.0\.0\.1:8000\/v1\/models \(ECONNREFUSED\); the URL is the default: OPENAI_BASE_URL is not set/);
  });

  it("passes against the Ollama protocol server, and names a missing model with the ones it has", async () => {
    const settings = parseModelSettings({ ollama: { baseUrl: server.url } });
    expect(await checkModelBackend("ollama", "llava:13b", settings)).toMatchObject({ ok: true });
    expect(await checkModelBackend("ollama", "llama3", settings)).toMatchObject({ ok: true }); // llama3 = llama3:latest
    const missing = await checkModelBackend("ollama", "llava", settings);
    expect(missing).toMatchObject({ ok: false, code: "E_CONFIG_INVALID" });
    expect(missing.message).toMatch(/has no model "llava" \(it has: llava:13b, llama3:latest\). Fix: run `ollama pull llava`/);
  });

  it("checks an OpenAI-compatible server's /models with the key, naming OPENAI_API_KEY when refused", async () => {
    const base = `${server.url}/v1`;
    expect(await checkModelBackend("openai", "Qwen2-Audio-7B-Instruct", parseModelSettings({ openai: { baseUrl: base, apiKey: "good" } }))).toMatchObject({ ok: true });
    const noKey = await checkModelBackend("openai", "Qwen2-Audio-7B-Instruct", parseModelSettings({ openai: { baseUrl: base } }));
    expect(noKey).toMatchObject({ ok: false, code: "E_CONFIG_INVALID" });
    expect(noKey.message).toMatch(/refused the request \(401: invalid api key\). Fix: set OPENAI_API_KEY to a valid key \(OPENAI_API_KEY is not set\)/);
    const wrong = await checkModelBackend("openai", "whisper-1", parseModelSettings({ openai: { baseUrl: base, apiKey: "good" } }));
    expect(wrong.message).toMatch(/no model "whisper-1" \(it has: Qwen2-Audio-7B-Instruct\)/);
  });

  it("never repeats the API key a server echoes in its error", async () => {
    const echo = async (_url: string | URL | Request, init?: RequestInit) =>
      new Response(JSON.stringify({ error: { message: `bad request from ${(init?.headers as Record<string, string>).authorization}` } }), { status: 401 });
    const r = await checkModelBackend("openai", "m", parseModelSettings({ openai: { baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-secret-123" } }), { fetch: echo as typeof fetch });
    expect(r.message).toMatch(/refused the request \(401: bad request from Bearer \*\*\*\)/);
    expect(r.message).not.toContain("sk-secret-123");
  });

  it("names a base URL without its /v1 (every call would be a 404), and passes a server that lists no models anywhere", async () => {
    const noV1 = await checkModelBackend("openai", "Qwen2-Audio-7B-Instruct", parseModelSettings({ openai: { baseUrl: server.url, apiKey: "good" } }));
    expect(noV1).toMatchObject({ ok: false, code: "E_CONFIG_INVALID" });
    expect(noV1.message).toBe(
      `openai:Qwen2-Audio-7B-Instruct: ${server.url}/models is not found (404), but ${server.url}/v1/models answers: the base URL lacks /v1. Fix: set OPENAI_BASE_URL=${server.url}/v1`,
    );
    const unlisted = await checkModelBackend("openai", "m", parseModelSettings({ openai: { baseUrl: `${server.url}/custom/v1` } }));
    expect(unlisted).toMatchObject({ ok: true });
    expect(unlisted.message).toMatch(/does not list its models \(404 on \/models\); the model name is not checked/);
  });

  it("gets a Gemini model, and needs GEMINI_API_KEY first", async () => {
    const noKey = await checkModelBackend("gemini", "gemini-1.5-flash", parseModelSettings({ gemini: { baseUrl: server.url } }));
    expect(noKey).toMatchObject({ ok: false, code: "E_CONFIG_INVALID" });
    expect(noKey.message).toMatch(/set GEMINI_API_KEY/);
    const settings = parseModelSettings({ gemini: { baseUrl: server.url, apiKey: "gk" } });
    expect(await checkModelBackend("gemini", "gemini-1.5-flash", settings)).toMatchObject({ ok: true, url: `${server.url}/v1beta/models/gemini-1.5-flash` });
    expect((await checkModelBackend("gemini", "gemini-9", settings)).message).toBe(
      `gemini:gemini-9: Gemini has no model "gemini-9" (404 from ${server.url}/v1beta/models/gemini-9; it has: gemini-1.5-flash, gemini-2.0-flash). Fix: name one it has`,
    );
    expect((await checkModelBackend("gemini", "gemini-1.5-flash", parseModelSettings({ gemini: { baseUrl: server.url, apiKey: "bad" } }))).message).toMatch(/GEMINI_API_KEY is set, but refused/);
  });

  it("takes a GEMINI_BASE_URL that ends in its API version, and names a base URL that serves no Gemini API", async () => {
    for (const baseUrl of [`${server.url}/v1beta`, `${server.url}/v1beta/`]) {
      // Before: ${server.url}/v1beta/v1beta/models/gemini-1.5-flash, a 404 said to be an unknown model.
      const r = await checkModelBackend("gemini", "gemini-1.5-flash", parseModelSettings({ gemini: { baseUrl, apiKey: "gk" } }));
      expect(r).toMatchObject({ ok: true, url: `${server.url}/v1beta/models/gemini-1.5-flash` });
    }
    const wrong = await checkModelBackend("gemini", "gemini-1.5-flash", parseModelSettings({ gemini: { baseUrl: `${server.url}/api`, apiKey: "gk" } }));
    expect(wrong).toMatchObject({ ok: false, code: "E_CONFIG_INVALID" });
    expect(wrong.message).toBe(
      `gemini:gemini-1.5-flash: ${server.url}/api/v1beta/models/gemini-1.5-flash and ${server.url}/api/v1beta/models are not found (404): the base URL ${server.url}/api serves no Gemini API; ` +
        "it is set by GEMINI_BASE_URL. Fix: set GEMINI_BASE_URL to the API root (https://generativelanguage.googleapis.com, optionally with /v1beta or /v1), or unset it",
    );
  });
});

describe("runPreflight over a plan", () => {
  it("finds every model spec among the stages' options and reports every problem in one error", async () => {
    const plan = compilePipeline(getPipeline("merr"), {
      "visual-describe": { backend: "ollama:llava" },
      fine: { backend: "ollama:llava:13b" },
      "audio-tone": { backend: "openai:Qwen2-Audio-7B-Instruct" },
      transcript: { asr: "none" },
    });
    const settings = { models: { ollama: { baseUrl: server.url }, openai: { baseUrl: `http://127.0.0.1:${await closedPort()}/v1` } } };
    const targets = preflightTargetsOfPlan(plan, settings);
    expect([...targets.models]).toEqual([
      ["ollama:llava", ["visual-describe"]],
      ["openai:Qwen2-Audio-7B-Instruct", ["audio-tone"]],
      ["ollama:llava:13b", ["fine"]],
    ].sort((a, b) => plan.order.indexOf(a[1]![0]!) - plan.order.indexOf(b[1]![0]!)));
    const error = await runPreflight(targets, settings, { searchPath: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MerrError);
    const e = error as MerrError;
    expect(e.message).toMatch(/preflight: 2 problem\(s\)/);
    expect(e.message).toMatch(/ollama:llava: the server at .* has no model "llava".*\(visual-describe\)/);
    expect(e.message).toMatch(/openai:Qwen2-Audio-7B-Instruct: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/models \(ECONNREFUSED\).*OPENAI_BASE_URL.*\(audio-tone\)/);
    expect(e.message).toMatch(/--no-preflight skips/);
    expect(e.message).not.toMatch(/ollama:llava:13b/); // that one passed
  });

  it("checks the OpenFace binary on PATH without starting it", async () => {
    const plan = compilePipeline(getPipeline("merr"), { "au-extract": { extractor: "openface", openfaceBin: "FeatureExtraction" } });
    const targets = preflightTargetsOfPlan(plan, {});
    expect(targets.openface).toEqual({ bin: "FeatureExtraction", xvfb: false, stage: "au-extract" });
    await expect(runPreflight(targets, {}, { searchPath: "" })).rejects.toThrow(/\[E_TOOL_MISSING\].*"FeatureExtraction" is not on PATH.*OPENFACE_BIN/);
    const dir = await tempDir();
    const bin = path.join(dir, "FeatureExtraction");
    await writeFile(bin, "#!/bin/sh\nexit 0\n");
    await chmod(bin, 0o755);
    expect(await runPreflight(targets, {}, { searchPath: dir })).toEqual([`OpenFace: ${bin} (au-extract)`]);
  });

  it("a worker checks the servers its environment sets, only for model stages", () => {
    const settings = { models: { ollama: { baseUrl: "http://gpu:11434" } }, openfaceBin: "/opt/of/FeatureExtraction" };
    expect(preflightTargetsOfWorker(["fine", "finalize"], settings)).toMatchObject({ backends: ["ollama"] });
    expect(preflightTargetsOfWorker(["probe", "au-extract"], settings)).toMatchObject({ backends: [], openface: { bin: "/opt/of/FeatureExtraction" } });
  });

  it("a worker's missing OpenFace names the variable it can change, not a build's flags", async () => {
    const targets = preflightTargetsOfWorker(["au-extract"], { openfaceBin: "/nonexistent/FeatureExtraction" });
    const error = (await runPreflight(targets, {}, { searchPath: "" }).then(
      () => new Error("no error"),
      (e: unknown) => e as Error,
    ));
    expect(error.message).toMatch(/^\[E_TOOL_MISSING\] preflight: 1 problem\(s\) before this worker took any job:/);
    expect(error.message).toContain("no executable file at /nonexistent/FeatureExtraction); OPENFACE_BIN in this worker's environment names it: set it to the binary on this machine, or unset it");
    expect(error.message).not.toMatch(/--openface-bin|--extractor/);
  });
});

describe("merr build preflight", () => {
  it("stops in seconds, before anything is queued, with the URL and the variable; --no-preflight skips it", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const out = path.join(await tempDir(), "run");
    const started = Date.now();
    const r = await runMerr(["build", "--source", "sample", "--visual", "ollama:llava", "--out", out], { OLLAMA_HOST: url });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`[E_MODEL_UNAVAILABLE] preflight: 1 problem(s)`);
    expect(r.stderr).toContain(`cannot reach ${url}/api/tags (ECONNREFUSED)`);
    expect(r.stderr).toMatch(/OLLAMA_HOST/);
    await expect(access(out)).rejects.toThrow(/ENOENT/);
    // Without the check the build goes on to read its input (a missing folder here), past the model.
    const skipped = await runMerr(["build", "--source", "folder", "--input", path.join(out, "none"), "--visual", "ollama:llava", "--out", out, "--no-preflight"], { OLLAMA_HOST: url });
    expect(skipped.stderr).not.toMatch(/preflight/);
    expect(skipped.stderr).toMatch(/\[E_USAGE\] --input .*: no such folder/);
  });
});

describe("data files the options name", () => {
  it("a missing or broken rule set or wording file stops the build before any work is queued, every problem named", async () => {
    const dir = await tempDir();
    const broken = path.join(dir, "rules.yaml");
    await writeFile(broken, "id: mine\nversion: 1\nfoo: [\n");
    const out = path.join(dir, "run");
    const r = await runMerr(["build", "--source", "sample", "--out", out, "--set", `au-analyze.rules=${broken}`, "--set", `audio-tone.wording=${path.join(dir, "none.yaml")}`]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain("preflight: 2 problem(s) before any work was queued");
    expect(r.stderr).toMatch(new RegExp(`\\[E_DATA_INVALID\\] ${broken.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+: .* \\(au-analyze\\)`));
    expect(r.stderr).toMatch(/none\.yaml: cannot read the tone wording file: ENOENT.* \(audio-tone\)/);
    await expect(access(out)).rejects.toThrow(/ENOENT/);
    // The plan's targets carry every stage that checks its options (the model-free default plan too).
    expect(preflightTargetsOfPlan(compilePipeline(getPipeline("merr")), {}).data?.map((d) => d.stage)).toEqual(["au-analyze", "audio-tone", "visual-describe", "coarse", "fine"]);
  });
});

describe("speech recognition the samples need", () => {
  it("without ffmpeg and pocketsphinx on PATH, a build that would run and transcribe clips stops before anything is queued; clips with transcripts need no pocketsphinx", async () => {
    const dir = await tempDir();
    await copyFile(projectPath("data", "sample", "1001_DFA_HAP_XX.flv"), path.join(dir, "a.flv"));
    const out = path.join(dir, "run");
    const r = await runMerr(["build", "--source", "folder", "--input", dir, "--out", out], { PATH: path.join(dir, "no-programs-here") });
    expect(r.code).toBe(69);
    // One error names every program the build's workers would start: ffprobe and ffmpeg for every clip, pocketsphinx for this one.
    expect(r.stderr).toContain("[E_TOOL_MISSING] preflight: 3 program(s) missing before any work was queued (scripts/setup.sh installs them):");
    expect(r.stderr).toMatch(/- ffprobe is not on PATH, and every clip needs it: install it with: sudo apt-get install ffmpeg/);
    expect(r.stderr).toMatch(/- ffmpeg is not on PATH, and every clip needs it/);
    expect(r.stderr).toMatch(/- pocketsphinx_continuous \(pocketsphinx\) is not on PATH, and 1 of 1 samples have no transcript from the source: install it with scripts\/setup\.sh/);
    await expect(access(out)).rejects.toThrow(/ENOENT/);
    // With --no-workers the stages run on worker machines: this one needs no pocketsphinx (it goes on to
    // start its Redis, which is what is missing here).
    const remote = await runMerr(["build", "--source", "folder", "--input", dir, "--out", out, "--no-workers"], { PATH: path.join(dir, "no-programs-here") });
    expect(remote.stderr).not.toMatch(/is not on PATH, and/);
    expect(remote.stderr).toMatch(/\[E_TOOL_MISSING\] redis-server was not found on PATH/);
    const plan = compilePipeline(getPipeline("merr"));
    const clip = { id: "a", path: "/a.flv", source: "folder" };
    expect(pocketsphinxSamples(plan, [clip, { ...clip, id: "b", transcript: "Hello." }])).toBe(1);
    expect(pocketsphinxSamples(compilePipeline(getPipeline("merr"), { transcript: { asr: "none" } }), [clip])).toBe(0);
    expect(pocketsphinxSamples(compilePipeline(getPipeline("merr"), { transcript: { language: "zh" } }), [clip])).toBe(0);
  });
});
