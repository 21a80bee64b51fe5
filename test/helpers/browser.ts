import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { tempOutDir } from "./stage-context.ts";

/** Debian's Chromium, which scripts/setup.sh installs with apt where it can. */
export const CHROMIUM = "/usr/bin/chromium";

/** Appended to a browser test's name: empty when Chromium is there, else the visible reason for the skip. */
export const chromiumMissing = existsSync(CHROMIUM) ? "" : ` [skipped: ${CHROMIUM} is not installed; scripts/setup.sh tries apt-get install chromium]`;

/** Headless Chromium through playwright-core, with a TMPDIR of its own (it leaves pulse-* folders behind). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, TMPDIR: await tempOutDir("merr-chromium-") },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
