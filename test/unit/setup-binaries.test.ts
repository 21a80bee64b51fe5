import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BINARIES } from "../../src/adapters/tools/binaries.ts";
import { projectPath } from "../../src/core/paths.ts";

/** One `"package:file"` list of scripts/setup.sh, e.g. `wanted=( "ffmpeg:/usr/bin/ffmpeg" ... )`. */
export function parseSetupList(script: string, name: string): Array<{ pkg: string; file: string }> {
  const block = new RegExp(`^${name}=\\(\\n([\\s\\S]*?)^\\)`, "m").exec(script)?.[1];
  if (block === undefined) throw new Error(`scripts/setup.sh has no ${name}=( ... ) list`);
  return [...block.matchAll(/^\s*"([^":]+):([^"]+)"\s*$/gm)].map((m) => ({ pkg: m[1]!, file: m[2]! }));
}

const setup = readFileSync(projectPath("scripts", "setup.sh"), "utf8");
const wanted = parseSetupList(setup, "wanted");
const optional = parseSetupList(setup, "optional");
const installs = (list: typeof wanted, pkg: string | undefined) => list.some((w) => w.pkg === pkg);

/**
 * Files that start a program whose name is not a string literal at the call, and what they start.
 * A new call of that kind fails the scan below until it is declared here.
 */
const INDIRECT: Record<string, string[]> = {
  "src/adapters/tools/run-tool.ts": [], // the runner itself: its callers name the binary
  "src/adapters/tools/ffmpeg.ts": ["ffmpeg", "ffprobe"],
  "src/adapters/face/openface.ts": ["FeatureExtraction", "xvfb-run"],
  "src/adapters/audio/pocketsphinx.ts": ["pocketsphinx_continuous"],
  "src/runtime/embedded-redis.ts": ["redis-server"],
  "src/runtime/worker-processes.ts": [], // merr worker children: process.execPath
  "src/adapters/features/command.ts": [], // the user's --features command: extractor (a program merr does not install)
  "test/helpers/cli.ts": [], // merr: process.execPath
  "test/cli/progress-terminal.test.ts": ["tmux"],
};

const CALL = /\b(?:runTool|toolVersion|spawn|spawnSync|execa|execaSync|execFile|execFileSync|execSync|ffmpegCommand)\(\s*([^,)]*)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(projectPath(dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(projectPath(), path.join(e.parentPath, e.name)));
}

/** Programs started in merr's code, its tests, benchmarks and scripts, with the file that starts them. */
function startedPrograms(): Array<{ bin: string; file: string }> {
  const found: Array<{ bin: string; file: string }> = [];
  for (const file of ["src", "pipelines", "workers", "test", "bench", "scripts"].flatMap(sourceFiles)) {
    if (file === "test/unit/setup-binaries.test.ts") continue;
    const text = readFileSync(projectPath(file), "utf8");
    for (const m of text.matchAll(CALL)) {
      const arg = m[1]!.trim();
      const literal = /^["'`]([\w.-]+)["'`]$/.exec(arg)?.[1];
      if (m[0].startsWith("ffmpegCommand")) found.push({ bin: "ffmpeg", file });
      else if (literal) found.push({ bin: literal, file });
      else if (arg === "process.execPath") continue;
      else if (file in INDIRECT) found.push(...INDIRECT[file]!.map((bin) => ({ bin, file })));
      else found.push({ bin: `<${arg || "?"}>`, file });
    }
    // Fixed install paths, e.g. the dashboard test's "/usr/bin/chromium".
    for (const m of text.matchAll(/["'`]\/usr\/bin\/([\w.-]+)["'`]/g)) found.push({ bin: m[1]!, file });
  }
  return found;
}

describe("scripts/setup.sh installs every program merr starts", () => {
  it("parses setup's package lists", () => {
    expect(wanted.length).toBeGreaterThan(5);
    expect(wanted.map((w) => w.pkg)).toContain("ffmpeg");
  });

  it.each(BINARIES.filter((b) => !b.optional))("installs $bin (package $pkg)", ({ bin, pkg }) => {
    expect(installs(wanted, pkg), `scripts/setup.sh's wanted list has no "${pkg}:..." entry (it provides ${bin})`).toBe(true);
  });

  it.each(BINARIES.filter((b) => b.optional && b.pkg && b.pkg !== "dpkg"))("tries to install the optional $bin", ({ bin, pkg }) => {
    expect(installs(optional, pkg), `scripts/setup.sh's optional list has no "${pkg}:..." entry (it provides ${bin})`).toBe(true);
  });

  it("the code starts no program missing from src/adapters/tools/binaries.ts", () => {
    const known = new Set(BINARIES.map((b) => b.bin));
    const unknown = startedPrograms().filter((p) => !known.has(p.bin));
    expect(unknown.map((p) => `${p.file}: ${p.bin}`), "add each to BINARIES (and scripts/setup.sh), or to INDIRECT when the name is a variable").toEqual([]);
  });

  it("every program in the table is still started somewhere (no stale entries)", () => {
    const started = new Set(startedPrograms().map((p) => p.bin));
    expect(BINARIES.map((b) => b.bin).filter((b) => !started.has(b))).toEqual([]);
  });
});
