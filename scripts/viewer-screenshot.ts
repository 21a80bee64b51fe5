/**
 * Makes docs/viewer.png, the README's picture of the sample page: `merr view` on a run (the bundled
 * sample run: `merr build --source sample --out RUN`), one sample page in headless Chromium, reduced to
 * a 256-colour PNG with ffmpeg's palette filters so the repository stays small.
 *
 *     node --import tsx scripts/viewer-screenshot.ts RUN [sample-id] [out.png]
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { projectPath } from "../src/core/paths.ts";
import { startViewer } from "../src/view/index.ts";

const [run, id = "1001_DFA_ANG_XX", out = projectPath("docs", "viewer.png")] = process.argv.slice(2);
if (!run) throw new Error("usage: scripts/viewer-screenshot.ts RUN [sample-id] [out.png]");
const tmp = await mkdtemp(path.join(os.tmpdir(), "merr-shot-"));
const viewer = await startViewer({ runDir: run, host: "127.0.0.1", port: 0, reviewer: "screenshot" });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${viewer.url}#/sample/${encodeURIComponent(id)}`);
  await page.locator("#timeline svg").waitFor();
  await page.waitForFunction('(document.querySelector("video#clip")?.readyState ?? 0) >= 2 && document.querySelector("img#peakimg")?.naturalWidth > 0');
  await page.keyboard.press("p"); // the clip shows the peak frame, and its bar the peak mark
  await page.waitForFunction('(v => v.readyState >= 3 && !v.seeking && v.currentTime > 0)(document.querySelector("video#clip"))');
  await page.mouse.move(1, 1);
  // Chromium's seek spinner goes away some frames after the seek ends: let the spinner's fade finish.
  await page.evaluate("new Promise((resolve) => setTimeout(resolve, 1000))");
  const raw = path.join(tmp, "raw.png");
  await page.screenshot({ path: raw });
  execFileSync("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", raw, "-vf", "split[a][b];[a]palettegen=max_colors=256[p];[b][p]paletteuse=dither=none", out]);
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await viewer.close();
  await rm(tmp, { recursive: true, force: true });
}
