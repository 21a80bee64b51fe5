/**
 * CLI start-up benchmark: whole-process wall time of `merr --help` and `merr status --out <run>` (the
 * compiled CLI, bin/merr.js → dist/), median of N runs, with bare `node -e 0` as the floor no command can
 * beat. Targets: --help < 150 ms, status < 250 ms. The status run is the six-clip sample build, made first
 * in a temporary folder unless --run names one.
 *
 *     node --import tsx bench/cli.ts [runs=11] [--run DIR]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { projectPath } from "../src/core/paths.ts";

const RUNS = Number(process.argv.find((a) => a.startsWith("runs="))?.slice(5) ?? 11);
const runArg = process.argv.indexOf("--run");
const BIN = projectPath("bin", "merr.js");

function timeMs(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function stats(args: string[]): { median: number; min: number; max: number } {
  timeMs(args); // warm the file cache
  const xs = Array.from({ length: RUNS }, () => timeMs(args)).sort((a, b) => a - b);
  return { median: xs[xs.length >> 1]!, min: xs[0]!, max: xs[xs.length - 1]! };
}

if (!existsSync(projectPath("dist", "src", "cli", "merr.js"))) {
  console.error("bench:cli measures the compiled CLI: run npm run build first");
  process.exit(1);
}
let tmp: string | undefined;
let run = runArg > 0 ? path.resolve(process.argv[runArg + 1] ?? "") : "";
try {
  if (!run) {
    tmp = await mkdtemp(path.join(os.tmpdir(), "merr-bench-cli-"));
    run = path.join(tmp, "run");
    const b = spawnSync(process.execPath, [BIN, "build", "--source", "sample", "--out", run, "--log-level", "silent", "--no-progress"], { encoding: "utf8" });
    if (b.status !== 0 && b.status !== 2) throw new Error(`sample build exited ${b.status}: ${b.stderr}`);
  }
  const rows: Array<[string, string[], number | undefined]> = [
    ["node -e 0 (floor)", ["-e", "0"], undefined],
    ["merr --help", [BIN, "--help"], 150],
    ["merr status --out <run>", [BIN, "status", "--out", run], 250],
  ];
  console.log(`| command | median ms | min ms | max ms | target ms |\n|---|---|---|---|---|`);
  for (const [name, args, target] of rows) {
    const s = stats(args);
    const verdict = target === undefined ? "" : `< ${target} ${s.median < target ? "(met)" : "(MISSED)"}`;
    console.log(`| ${name} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} | ${verdict} |`);
  }
  console.log(`\n${RUNS} runs each after one warm-up, Node ${process.versions.node}, load ${os.loadavg()[0]!.toFixed(2)}`);
} finally {
  if (tmp) await rm(tmp, { recursive: true, force: true });
}
