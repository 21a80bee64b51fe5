import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadReviews } from "../../src/core/reviews.ts";
import { writeListing } from "../../src/core/run-samples.ts";
import { startViewer, type Viewer } from "../../src/view/index.ts";
import { chromiumMissing, launchChromium } from "../helpers/browser.ts";
import { send } from "../helpers/http.ts";
import { runMerr, spawnMerr } from "../helpers/cli.ts";
import { until } from "../helpers/runs.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "../unit/export-fixtures.ts";

const basic = (cred: string): string => `Basic ${Buffer.from(cred).toString("base64")}`;

async function fakeRun(): Promise<string> {
  const run = await tempOutDir();
  await writeFakeRun(run, [
    { id: "s_one", sample: { label: "happy", transcript: "Don't forget a jacket", spokenTranscript: "别忘了带外套" }, stages: completeStages({ label: "happy" }) },
    { id: "s_two", sample: { label: "sad" }, stages: completeStages({ label: "sad" }) },
  ]);
  return run;
}

/** Runs `body` against a viewer of `run` on loopback (reviewer "cli"), then closes the viewer. */
async function withLoopbackViewer(run: string, body: (viewer: Viewer) => Promise<void>): Promise<void> {
  const viewer = await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "cli" });
  try {
    await body(viewer);
  } finally {
    await viewer.close();
  }
}

const reviewFiles = async (run: string): Promise<string[]> => readdir(path.join(run, "reviews")).catch(() => []);

describe("merr view: who may read and write", () => {
  it("the command serves a run until SIGTERM, and refuses --host beyond loopback without --auth (exit 64)", async () => {
    const run = await fakeRun();
    const refused = await runMerr(["view", "--out", run, "--host", "0.0.0.0", "--port", "0"], { MERR_DASHBOARD_AUTH: "" });
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/E_USAGE.*--auth user:password/);
    const view = spawnMerr(["view", "--out", run, "--port", "0", "--reviewer", "cli"]);
    await until(() => /merr view: (http:\S+)/.test(view.stdout()), 20_000, "the viewer's address");
    const url = /merr view: (http:\S+)/.exec(view.stdout())![1]!;
    expect(((await (await fetch(`${url}api/samples`)).json()) as { total: number }).total).toBe(2);
    view.child.kill("SIGTERM");
    expect(await view.exit).toBe(0);
  });

  it("refuses a host beyond loopback without credentials", async () => {
    await expect(startViewer({ runDir: await fakeRun(), host: "0.0.0.0", port: 0 })).rejects.toThrow(/--host 0\.0\.0\.0 exposes the viewer.*--auth user:password/);
  });

  it("off localhost: every route, reading or writing, needs the credentials; the auth user is the reviewer", async () => {
    const run = await fakeRun();
    const viewer = await startViewer({ runDir: run, host: "0.0.0.0", port: 0, auth: "ann:s3cret", reviewer: "not-used" });
    try {
      const port = new URL(viewer.url).port;
      const base = `http://127.0.0.1:${port}`;
      const remote = { host: `review-box.lan:${port}` }; // any name of the machine, as a remote browser sends it
      for (const route of ["/", "/viewer.js", "/api/run", "/api/samples", "/api/samples/s_one", "/api/samples/s_one/clip", "/api/samples/s_one/peak.jpg"]) {
        expect((await send(`${base}${route}`, "GET", remote)).status, route).toBe(401);
      }
      const post = JSON.stringify({ action: "reject" });
      const origin = { origin: `http://review-box.lan:${port}` };
      expect((await send(`${base}/api/samples/s_one/reviews`, "POST", { ...remote, ...origin }, post)).status).toBe(401);
      expect((await send(`${base}/api/samples/s_one/reviews`, "POST", { ...remote, "x-merr-token": viewer.token }, post)).status).toBe(401);
      expect((await send(`${base}/api/samples/s_one/reviews`, "POST", { ...remote, ...origin, authorization: basic("ann:wrong") }, post)).status).toBe(401);
      expect(await reviewFiles(run)).toEqual([]);

      const list = await send(`${base}/api/samples`, "GET", { ...remote, authorization: basic("ann:s3cret") });
      expect(list.status).toBe(200);
      expect((JSON.parse(list.body) as { total: number }).total).toBe(2);
      // the credentials do not lift the same-origin rule: another site's page cannot post with them
      expect((await send(`${base}/api/samples/s_one/reviews`, "POST", { ...remote, origin: "http://evil.example", authorization: basic("ann:s3cret") }, post)).status).toBe(403);
      const ok = await send(`${base}/api/samples/s_one/reviews`, "POST", { ...remote, ...origin, authorization: basic("ann:s3cret") }, post);
      expect(ok.status).toBe(201);
      expect(loadReviews(run).records.map((r) => [r.sample, r.action, r.reviewer])).toEqual([["s_one", "reject", "ann"]]);
    } finally {
      await viewer.close();
    }
  });

  it("shows a subtitle stream's words as spoken beside its English subtitle", async () => {
    const run = await tempOutDir();
    const stages = completeStages({ label: "happy", text: "Hello." });
    await writeFakeRun(run, [{ id: "s_stream", stages: { ...stages, transcript: { output: { text: "Hello.", source: "subtitle-stream", spokenText: "你好" } } } }]);
    await withLoopbackViewer(run, async (viewer) => {
      const detail = (await (await fetch(`${viewer.url}api/samples/s_stream`)).json()) as { transcript: { text?: string; source?: string; spoken?: string } };
      expect(detail.transcript).toEqual({ text: "Hello.", source: "subtitle-stream", spoken: "你好" });
    });
  });

  it("says which samples the last build's source did not list, which merr export leaves out", async () => {
    const run = await fakeRun();
    await withLoopbackViewer(run, async (viewer) => {
      const warnings = async () => ((await (await fetch(`${viewer.url}api/samples`)).json()) as { warnings: string[] }).warnings;
      expect(await warnings()).toEqual([]); // no listing: a run built before merr wrote one
      await writeListing(run, { source: "folder", input: "/clips", listedAt: "2025-01-01T00:00:00.000Z", samples: [{ id: "s_one", path: "/clips/one.mp4" }] });
      const [w] = await warnings();
      expect(w).toMatch(/^1 sample in \S+ is not among the 1 clip --source folder --input \/clips listed at the last build .*: s_two \(\/clips\/s_two\.flv\); merr export leaves it out \(--keep-unlisted exports it\)\./);
    });
  });

  it("on loopback without credentials: only loopback names, and changes only from its own page or with its token", async () => {
    const run = await fakeRun();
    const viewer = await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "cli" });
    try {
      const self = new URL(viewer.url).host;
      const post = JSON.stringify({ action: "accept" });
      const url = `${viewer.url}api/samples/s_one/reviews`;
      expect((await send(`${viewer.url}api/samples`, "GET", { host: "evil.example" })).status).toBe(403);
      // a translated subtitle is shown with the words as spoken
      const one = (await (await fetch(`${viewer.url}api/samples/s_one`)).json()) as { transcript: { spoken?: string } };
      expect(one.transcript.spoken).toBe("别忘了带外套");
      expect(((await (await fetch(`${viewer.url}api/samples/s_two`)).json()) as { transcript: { spoken?: string } }).transcript.spoken).toBeUndefined();
      expect((await send(url, "POST", { host: self, origin: "http://evil.example" }, post)).status).toBe(403);
      expect((await send(url, "POST", { host: self }, post)).status).toBe(403);
      expect(await reviewFiles(run)).toEqual([]);
      expect((await send(url, "POST", { host: self, origin: `http://${self}` }, post)).status).toBe(201);
      expect((await send(url, "POST", { host: self, "x-merr-token": viewer.token }, JSON.stringify({ action: "relabel", label: "disgust" }))).status).toBe(400);
      expect((await send(`${viewer.url}api/samples/..%2Frun.json`, "GET", { host: self })).status).toBe(404);
      expect(loadReviews(run).records.map((r) => r.reviewer)).toEqual(["cli"]);
    } finally {
      await viewer.close();
    }
  });

  it("two reviewers deciding at the same time, through two viewers of one run, lose no decision", async () => {
    const run = await fakeRun();
    const viewers: Viewer[] = [
      await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "ann" }),
      await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "bob" }),
    ];
    try {
      const posts = Array.from({ length: 40 }, (_, i) => {
        const v = viewers[i % 2]!;
        const body = i % 4 < 2 ? { action: "relabel", label: i % 3 ? "sad" : "fear" } : { action: "accept" };
        return fetch(`${v.url}api/samples/${i % 3 ? "s_one" : "s_two"}/reviews`, {
          method: "POST", headers: { "content-type": "application/json", "x-merr-token": v.token }, body: JSON.stringify(body),
        }).then((r) => r.status);
      });
      expect(await Promise.all(posts)).toEqual(Array(40).fill(201));
      const records = loadReviews(run).records;
      expect(records).toHaveLength(40);
      expect(records.filter((r) => r.reviewer === "ann")).toHaveLength(20);
      expect(records.filter((r) => r.reviewer === "bob")).toHaveLength(20);
      // each viewer sees the other's decisions too
      const detail = (await (await fetch(`${viewers[0]!.url}api/samples/s_two`)).json()) as { review: { reviewers: string[]; history: unknown[] } };
      expect(detail.review.history).toHaveLength(records.filter((r) => r.sample === "s_two").length);
      expect(detail.review.reviewers.sort()).toEqual(["ann", "bob"]);
    } finally {
      for (const v of viewers) await v.close();
    }
  });
});

describe("merr view on the bundled sample run, in headless Chromium", () => {
  let run = "";
  beforeAll(async () => {
    if (chromiumMissing) return;
    run = await tempOutDir("merr-view-run-");
    // keepLabelled off: the neutral clip is filtered at au-analyze, so the viewer shows a sample without an
    // au-analyze output record too.
    const build = await runMerr(["build", "--source", "sample", "--out", run, "--set", "au-analyze.keepLabelled=false", "--log-level", "warn", "--no-progress"]);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain(`review the samples in the browser: npx merr view --out ${run}`);
  }, 240_000);

  it.runIf(!chromiumMissing)(`filters, opens a sample with its AU timeline and peak frame, relabels one and rejects another by keyboard; merr export follows${chromiumMissing}`, async () => {
    const viewer = await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "tester" });
    const browser = await launchChromium();
    try {
      // a sample filtered at au-analyze has no output record: its page still shows why, with the timeline
      const neu = (await (await fetch(`${viewer.url}api/samples/1001_DFA_NEU_XX`)).json()) as {
        reasons: Array<{ code: string }>; au: { decision: { status: string }; timelineSvg?: string };
      };
      expect(neu.reasons.map((r) => r.code)).toEqual(["filtered-out"]);
      expect(neu.au.decision.status).toBe("filtered-out");
      expect(neu.au.timelineSvg).toMatch(/class="peak-line"/);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(viewer.url);
      await page.locator("#counter", { hasText: "6 of 6 samples" }).waitFor();
      await page.locator('input[data-facet="status"][value="done"]').check();
      // (DIS is skipped at fine: its ground truth, disgust, is no MERR label)
      await page.locator("#counter", { hasText: "3 of 6 samples" }).waitFor();
      expect(await page.locator("tr.row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")))).toEqual(["1001_DFA_ANG_XX", "1001_DFA_HAP_XX", "1001_DFA_SAD_XX"]);

      await page.locator('tr.row[data-id="1001_DFA_ANG_XX"]').click();
      await page.locator("h2", { hasText: "1001_DFA_ANG_XX" }).waitFor();
      const timeline = page.locator("#timeline svg.au-timeline");
      await timeline.waitFor();
      expect(await timeline.locator(".peak-line").getAttribute("data-frame")).toBe("35");
      expect(await timeline.locator('path.au-curve[data-au="AU25"]').count()).toBe(1);
      expect(await timeline.locator("line.threshold").count()).toBe(1);
      // audio-tone's lip check: the actor's lips open for his syllables
      expect(await page.locator("#lips").textContent()).toMatch(/^lips: moving \(opened for \d+ of \d+ syllables with the face in view; \d+ spoken\)$/);
      expect(await page.locator('svg.prosody path.syllable[data-lips="opened"]').count()).toBeGreaterThanOrEqual(4);
      // (expressions as strings: the tests are type-checked without the DOM library)
      await page.waitForFunction('document.querySelector("img#peakimg")?.complete && document.querySelector("img#peakimg").naturalWidth > 0');
      // the .flv clip is served as a playable mp4; the peak is marked on its scrub bar and the video seeks to it
      await page.waitForFunction('(document.querySelector("video#clip")?.readyState ?? 0) >= 1', undefined, { timeout: 60_000 });
      await page.keyboard.press("p");
      await page.waitForFunction('Math.abs(document.querySelector("video#clip").currentTime - 1.201) < 0.05');
      expect(await page.locator("#peakmark").count()).toBe(1);
      expect(await page.locator("#au").innerText()).toContain('rule "doubt" fired on AU25');
      // the fine set explains its ground truth, angry, from the lowered brows at the peak (docs/export.md)
      expect(await page.locator("#au").innerText()).toMatch(/fine AU_list \(angry\)\s+AU04 \(A look of disapprroval\)/);

      await page.keyboard.press("4"); // the fourth MERR label: sad
      await page.locator("#toast", { hasText: "saved: 1001_DFA_ANG_XX relabel sad by tester" }).waitFor();
      // its fine caption explains angry: the page says so, and an edited caption for sad clears it
      expect(await page.locator("#captionmismatch").textContent()).toMatch(/^the fine caption ends on angry, not sad: merr export leaves the sample out of the fine set/);
      await page.keyboard.press("e");
      await page.locator("#caption").fill("In the video, his voice is even and his head drops. These clues suggest that he feels sad.");
      await page.keyboard.press("Control+Enter");
      await page.locator("#toast", { hasText: "saved: 1001_DFA_ANG_XX caption by tester" }).waitFor();
      expect(await page.locator("#captionmismatch").count()).toBe(0);
      // the fine AU_list follows the label merr export gives it now
      expect(await page.locator("#au").innerText()).toMatch(/fine AU_list \(sad\)\s+AU04 /);
      await page.keyboard.press("j");
      await page.locator("h2", { hasText: "1001_DFA_HAP_XX" }).waitFor();
      await page.keyboard.press("x");
      await page.locator("#toast", { hasText: "saved: 1001_DFA_HAP_XX reject by tester" }).waitFor();
      await page.keyboard.press("Escape");
      await page.locator('input[data-facet="review"][value="relabelled"]').waitFor();
      expect(await page.locator("tr.row", { hasText: "1001_DFA_HAP_XX" }).innerText()).toMatch(/rejected/);
      expect(await page.locator("tr.row", { hasText: "1001_DFA_ANG_XX" }).innerText()).toMatch(/relabelled → sad/);
      await page.screenshot({ path: path.join(run, "viewer.png") });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await viewer.close();
    }

    const exported = await tempOutDir();
    const r = await runMerr(["export", "--run", run, "--out", exported, "--format", "merr", "--videos", "none"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/reviews: 3 decisions on 2 samples applied: 1 rejected, 1 relabelled, 1 captions edited/);
    const fine = await readFile(path.join(exported, "MERR_fine_grained.txt"), "utf8");
    expect(fine.trim().split("\n").map((l) => l.split(" ")[0])).toEqual(["1001_DFA_ANG_XX", "1001_DFA_SAD_XX"]);
    expect(fine).toMatch(/^1001_DFA_ANG_XX \d+ sad\b/m);
    const coarse = await readFile(path.join(exported, "MERR_coarse_grained.txt"), "utf8");
    expect(coarse).toMatch(/^1001_DFA_ANG_XX \d+ sad$/m);
    // Disgust is no MERR label and no --map-label maps it: the coarse list cannot give the clip its own label.
    expect(coarse).not.toContain("1001_DFA_DIS_XX");
    expect(coarse).not.toContain("1001_DFA_HAP_XX");
    const reviewedOnly = await runMerr(["export", "--run", run, "--out", exported, "--format", "merr", "--videos", "none", "--reviewed-only"]);
    expect(reviewedOnly.code).toBe(0);
    expect((await readFile(path.join(exported, "MERR_fine_grained.txt"), "utf8")).trim().split("\n").map((l) => l.split(" ")[0])).toEqual(["1001_DFA_ANG_XX"]);
  });
});
