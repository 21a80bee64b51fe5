import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import media from "../../pipelines/media.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { startDashboard } from "../../src/runtime/dashboard.ts";
import { FINALIZE, compilePipeline } from "../../src/runtime/plan.ts";
import { runBuild } from "../../src/runtime/run.ts";
import { loadSamples } from "../../src/sources/index.ts";
import { STAGES } from "../../src/stages/index.ts";
import { dropPrefix, testRedisUrl, uniquePrefix } from "../helpers/redis.ts";
import { chromiumMissing, launchChromium } from "../helpers/browser.ts";
import { send } from "../helpers/http.ts";
import { tempOutDir } from "../helpers/stage-context.ts";

const prefix = uniquePrefix();
const dirs: string[] = [];
afterAll(async () => {
  await dropPrefix(prefix);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("merr dashboard (Bull Board)", () => {
  it("refuses a non-loopback host without credentials", async () => {
    await expect(startDashboard({ redis: testRedisUrl(), prefix, queues: ["probe"], host: "0.0.0.0", port: 0 })).rejects.toThrow(/--auth user:password/);
  });

  it("requires basic auth when credentials are set", async () => {
    const dash = await startDashboard({ redis: testRedisUrl(), prefix, queues: ["probe"], host: "127.0.0.1", port: 0, auth: "ann:s3cret" });
    try {
      expect((await fetch(dash.url)).status).toBe(401);
      const ok = await fetch(dash.url, { headers: { authorization: `Basic ${Buffer.from("ann:s3cret").toString("base64")}` } });
      expect(ok.status).toBe(200);
      // The page is Bull Board's, without its link to Google's font servers.
      const page = await ok.text();
      expect(page).toContain("<title>");
      expect(page).not.toMatch(/fonts\.googleapis\.com|fonts\.gstatic\.com/);
    } finally {
      await dash.close();
    }
  });

  it("answers only requests addressed to it, and changes queues only for its own page or its token", async () => {
    const dash = await startDashboard({ redis: testRedisUrl(), prefix, queues: ["probe"], host: "127.0.0.1", port: 0 });
    try {
      const self = new URL(dash.url).host; // 127.0.0.1:<port>
      const pause = `${dash.url}api/queues/probe/pause`;
      // DNS rebinding: the browser sends the attacker's name as Host.
      expect((await send(dash.url, "GET", { host: "evil.example" })).status).toBe(403);
      expect((await send(pause, "PUT", { host: `evil.example:${new URL(dash.url).port}`, origin: "http://evil.example" })).status).toBe(403);
      expect((await send(dash.url, "GET", { host: self })).status).toBe(200);
      expect((await send(dash.url, "GET", { host: `localhost:${new URL(dash.url).port}` })).status).toBe(200);
      // A cross-site form post to the right address: foreign Origin.
      const foreign = await send(pause, "PUT", { host: self, origin: "http://evil.example" });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatch(/origin http:\/\/evil\.example is not from this page/);
      // No Origin (a script) and no token: refused; with the token, or from the page itself: done.
      expect((await send(pause, "PUT", { host: self })).status).toBe(403);
      expect((await send(pause, "PUT", { host: self, "x-merr-token": "0".repeat(32) })).status).toBe(403);
      expect((await send(pause, "PUT", { host: self, "x-merr-token": dash.token })).status).toBeLessThan(300);
      expect((await send(pause.replace("/pause", "/resume"), "PUT", { host: self, origin: `http://${self}` })).status).toBeLessThan(300);
    } finally {
      await dash.close();
    }
  });

  it.runIf(!chromiumMissing)(`shows the stage queues and a completed job in headless Chromium${chromiumMissing}`, async () => {
    const out = await tempOutDir();
    dirs.push(out);
    await runBuild({
      outDir: out, source: "sample", samples: await loadSamples({ source: "sample", limit: 1 }), plan: compilePipeline(media),
      registry: new Map(STAGES), redis: testRedisUrl(), prefix, inProcessWorkers: true, settings: {}, logger: silentLogger, progress: "none",
    });
    const queues = [...STAGES.keys(), FINALIZE];
    const dash = await startDashboard({ redis: testRedisUrl(), prefix, queues, host: "127.0.0.1", port: 0 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(dash.url);
      for (const q of queues) await page.getByText(q, { exact: true }).first().waitFor({ timeout: 30_000 });
      await page.goto(`${dash.url}queue/probe?status=completed`);
      await page.getByText(/1001_DFA_ANG_XX\.probe/).first().waitFor({ timeout: 30_000 });
      const text = await page.locator("body").innerText();
      expect(text).toContain("1001_DFA_ANG_XX.probe");
      await page.screenshot({ path: path.join(out, "dashboard.png") });
    } finally {
      await browser.close();
      await dash.close();
    }
  });
});
