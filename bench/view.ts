/**
 * Viewer benchmark: a synthetic run of N samples (default 30,000; 9 record files each, every 7th filtered,
 * nine labels, ground truth and confidence varied) served by `merr view`. Measures the server's index
 * build (startup), the list API unfiltered and filtered, and, in headless Chromium when it is installed,
 * the list page load (navigation until the first page of rows and every facet count is shown) and a
 * filter (a facet ticked until the narrowed list is shown). Target: the list opens in under 2 s.
 *
 *     node --import tsx bench/view.ts [samples] [--keep] [--run DIR]   (--run: reuse a generated run)
 */
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { startViewer } from "../src/view/index.ts";
import { withSyntheticRun } from "./_synthetic-run.ts";

const CHROMIUM = "/usr/bin/chromium";
const TARGET_MS = 2000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeFetch(url: string, runs = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    await r.json();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 30_000) || 30_000;
  await withSyntheticRun("view", n, true, async (runDir) => {
    const s0 = performance.now();
    const viewer = await startViewer({ runDir, host: "127.0.0.1", port: 0, reviewer: "bench" });
    const startMs = performance.now() - s0;
    try {
      const api = await timeFetch(`${viewer.url}api/samples`);
      const apiFiltered = await timeFetch(`${viewer.url}api/samples?status=done&pseudo=happy,sad&sort=confidence&desc=1`);
      process.stdout.write(`server start (index of ${n} samples): ${(startMs / 1000).toFixed(2)} s\n`);
      process.stdout.write(`list API, median of 5: all ${api.toFixed(0)} ms; filtered and sorted ${apiFiltered.toFixed(0)} ms\n`);
      if (!existsSync(CHROMIUM)) {
        process.stdout.write(`no ${CHROMIUM}: page load and filter in the browser not measured\n`);
        return;
      }
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const loads: number[] = [];
        const filters: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await page.goto(`${viewer.url}#/list`);
          await page.locator("#counter", { hasText: `${n} of ${n} samples` }).waitFor();
          loads.push(performance.now() - t0);
          const t1 = performance.now();
          await page.locator('input[data-facet="pseudo"][value="happy"]').check();
          await page.locator("#counter", { hasText: `of ${n} samples` }).filter({ hasNotText: `${n} of ${n}` }).waitFor();
          filters.push(performance.now() - t1);
          await page.goto("about:blank");
        }
        const load = median(loads);
        const filter = median(filters);
        process.stdout.write(
          `list page load in Chromium, median of 3: ${load.toFixed(0)} ms (${loads.map((x) => x.toFixed(0)).join(", ")}); ` +
            `filter (tick a facet): ${filter.toFixed(0)} ms (${filters.map((x) => x.toFixed(0)).join(", ")}) -> ${load < TARGET_MS ? "within" : "OVER"} target (${TARGET_MS} ms)\n`,
        );
        if (load >= TARGET_MS) process.exitCode = 1;
      } finally {
        await browser.close();
      }
    } finally {
      await viewer.close();
    }
  });
}

await main();
