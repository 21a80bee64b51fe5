/**
 * Pipeline speed: the whole MERR chain through the real CLI (`bin/merr.js build`, built dist/) on N copies
 * of the bundled clips, with given transcripts and with offline speech recognition (pocketsphinx).
 *
 * Reports, each figure with the load average around it:
 * - CPU-seconds per second of video of the whole process tree: merr, its embedded redis-server, the
 *   worker processes of --processes and every ffmpeg/ffprobe/pocketsphinx child. The CLI runs as a child
 *   of this process; once it has exited and been reaped, this process's `cutime + cstime` (/proc/self/stat)
 *   have grown by the CPU time of the whole tree (every process in it waits for its own children);
 * - the wall time of --processes 1 and 2, back to back, and their ratio;
 * - a rerun of the finished build against the first build;
 * - the CPU of each stage: every stage run alone, one after the other, on the six bundled clips in this
 *   process (own CPU plus the CPU of the children it waited for), as a share of the stages' sum.
 *
 * - the adaptive face-analysis rate against every frame: au-extract CPU, peak frame and AU-rule agreement.
 *
 * The builds and the per-stage figures use the adaptive face-analysis rate unless `rate=full` is given
 * (full rate is the product's default: see docs/face-analyzer.md, "Adaptive rate").
 *
 * Usage: npm run bench:pipeline [-- copies=3 only=given|asr|adaptive|stages rate=adaptive|full]
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getPipeline } from "../pipelines/index.ts";
import { buildStageSettings } from "../src/cli/settings.ts";
import { loadConfig } from "../src/core/config.ts";
import { projectPath } from "../src/core/paths.ts";
import { readStageRecord } from "../src/core/records.ts";
import type { Sample } from "../src/core/types.ts";
import { createStageContext, ResourcePool } from "../src/runtime/context.ts";
import { compilePipeline } from "../src/runtime/plan.ts";
import { runStage } from "../src/runtime/run-stage.ts";
import { readCsv } from "../src/sources/csv.ts";
import { runTool } from "../src/adapters/tools/run-tool.ts";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
const COPIES = Number(arg("copies") ?? 3);
const ONLY = arg("only");
/** Adaptive section: the first pass's rate (default: the extractor's). */
const COARSE = arg("coarse") ? Number(arg("coarse")) : undefined;

const CODES = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"] as const;
const clipOf = (code: string): string => projectPath("data", "sample", `1001_DFA_${code}_XX.flv`);

const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(" ");

/** CPU time of this process's reaped children (utime + stime of every waited-for descendant), in seconds. */
async function childrenCpuS(): Promise<number> {
  const fields = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]?.split(" ") ?? [];
  // After "pid (comm) ": state is fields[0], so cutime (field 16) and cstime (17) are fields[13], fields[14].
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** This process's own CPU plus its reaped children's, in seconds. */
async function allCpuS(): Promise<number> {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + (await childrenCpuS());
}

interface CliRun {
  wallS: number;
  cpuS: number;
  loadBefore: string;
  loadAfter: string;
  code: number | null;
  stderrTail: string;
}

/** Runs `merr build ...` as a child and measures its whole process tree. */
async function runCli(args: string[]): Promise<CliRun> {
  const loadBefore = load();
  const cpu0 = await childrenCpuS();
  const t0 = performance.now();
  const child = spawn(process.execPath, [projectPath("bin", "merr.js"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => (stderr = (stderr + d).slice(-3000)));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = (await childrenCpuS()) - cpu0;
  return { wallS, cpuS, loadBefore, loadAfter: load(), code, stderrTail: stderr.split("\n").slice(-6).join("\n") };
}

/** Copies the six clips `copies` times and writes a manifest, with or without the transcript column. */
async function prepareClips(dir: string, copies: number): Promise<{ given: string; asr: string; givenOne: string }> {
  const labels = await readCsv(projectPath("data", "sample", "labels.csv"), "labels");
  const sentence = new Map(labels.map((r) => [r.emotion_code, r.sentence ?? ""]));
  const withText = ["path,label,transcript"];
  const without = ["path,label"];
  for (let c = 0; c < copies; c++) {
    for (const code of CODES) {
      const file = `c${c}_${code}.flv`;
      await copyFile(clipOf(code), path.join(dir, file));
      withText.push(`${file},${code},"${sentence.get(code) ?? ""}"`);
      without.push(`${file},${code}`);
    }
  }
  const given = path.join(dir, "given.csv");
  const asr = path.join(dir, "asr.csv");
  const givenOne = path.join(dir, "given-one-copy.csv");
  await writeFile(given, `${withText.join("\n")}\n`);
  await writeFile(asr, `${without.join("\n")}\n`);
  await writeFile(givenOne, `${withText.slice(0, 1 + CODES.length).join("\n")}\n`);
  return { given, asr, givenOne };
}

/** Seconds of video of a finished build, from its probe records. */
async function videoSeconds(out: string, ids: string[]): Promise<number> {
  let sum = 0;
  for (const id of ids) {
    const rec = await readStageRecord(out, id, "probe");
    sum += (rec?.output as { durationS?: number } | undefined)?.durationS ?? 0;
  }
  return sum;
}

const f2 = (x: number): string => x.toFixed(2);

/** Face-analysis rate of the CLI builds (`rate=full` or `rate=adaptive`, the au-extract option). @defaultValue adaptive */
const RATE = arg("rate") ?? "adaptive";

function build(manifest: string, out: string, processes: number): string[] {
  return ["build", "--source", "manifest", "--input", manifest, "--out", out, "--processes", String(processes), "--no-progress", "--log-level", "warn", "--no-preflight",
    "--set", `au-extract.rate=${RATE}`];
}

async function cliSection(dir: string, manifests: { given: string; asr: string; givenOne: string }, ids: string[]): Promise<string[]> {
  const lines: string[] = [];
  const report = (what: string, r: CliRun, videoS: number): void => {
    lines.push(
      `${what.padEnd(34)} wall ${f2(r.wallS).padStart(6)} s  CPU ${f2(r.cpuS).padStart(7)} s  = ${f2(r.cpuS / videoS)} CPU-s per video-s, ${f2(r.cpuS / r.wallS)} cores busy` +
        `  (exit ${r.code}; load ${r.loadBefore} -> ${r.loadAfter})`,
    );
    if (r.code !== 0) lines.push(`  stderr: ${r.stderrTail}`);
  };
  const modes = ONLY === "asr" ? ["asr"] : ONLY === "given" ? ["given"] : ["given", "asr"];
  for (const mode of modes) {
    const manifest = mode === "given" ? manifests.given : manifests.asr;
    const out1 = path.join(dir, `out-${mode}-p1`);
    const out2 = path.join(dir, `out-${mode}-p2`);
    const first = await runCli(build(manifest, out1, 1));
    const videoS = await videoSeconds(out1, ids);
    lines.push(`-- ${mode === "given" ? "given transcripts" : "offline speech recognition (pocketsphinx)"}: ${ids.length} clips, ${f2(videoS)} s of video`);
    report("first build, --processes 1", first, videoS);
    const rerun = await runCli(build(manifest, out1, 1));
    report("rerun of the finished build", rerun, videoS);
    lines.push(`${"rerun / first build (wall)".padEnd(34)} ${((100 * rerun.wallS) / first.wallS).toFixed(1)} % (target < 5 %)`);
    const two = await runCli(build(manifest, out2, 2));
    report("first build, --processes 2", two, videoS);
    lines.push(`${"--processes 2 speed-up (wall)".padEnd(34)} ${f2(first.wallS / two.wallS)}x (target >= 1.8x on an idle machine)`);
    if (mode === "given" && COPIES > 1) {
      // What a build costs per clip once started: the start-up (Node, the face model, redis-server) is paid once
      // per build and process, so the cost of the clips beyond the first copy is what 73,000 clips see.
      const outOne = path.join(dir, "out-given-one");
      const one = await runCli(build(manifests.givenOne, outOne, 1));
      const oneVideoS = await videoSeconds(outOne, ids.slice(0, CODES.length));
      report(`first build of one copy (${CODES.length} clips)`, one, oneVideoS);
      lines.push(`${"per video-s beyond the first copy".padEnd(34)} ${f2((first.cpuS - one.cpuS) / (videoS - oneVideoS))} CPU-s (start-up of a build: about ${f2(one.cpuS - (oneVideoS * (first.cpuS - one.cpuS)) / (videoS - oneVideoS))} CPU-s)`);
      await rm(outOne, { recursive: true, force: true });
    }
    await rm(out1, { recursive: true, force: true });
    await rm(out2, { recursive: true, force: true });
  }
  return lines;
}

/** Runs every stage of the merr pipeline alone on each bundled clip, in order, measuring this process. */
async function stageSection(dir: string, asr: boolean): Promise<string[]> {
  const plan = compilePipeline(getPipeline("merr"));
  const settings = buildStageSettings(loadConfig({}));
  const resources = new ResourcePool();
  const out = path.join(dir, `stages-${asr ? "asr" : "given"}`);
  const labels = await readCsv(projectPath("data", "sample", "labels.csv"), "labels");
  const samples: Sample[] = CODES.map((code) => ({
    id: `s_${code}`,
    path: clipOf(code),
    source: "bench",
    label: code,
    ...(asr ? {} : { transcript: labels.find((r) => r.emotion_code === code)?.sentence ?? "" }),
  }));
  const cpu = new Map<string, number>(plan.order.map((n) => [n, 0]));
  // The face model loads once per process; counted apart from the stage.
  const t0 = await allCpuS();
  await resources.get("face:warm", async () => {
    const { sharedFaceAnalyzer } = await import("../src/adapters/face/builtin/index.ts");
    return sharedFaceAnalyzer();
  });
  const modelLoadS = (await allCpuS()) - t0;
  let videoS = 0;
  for (const sample of samples) {
    const outputs: Record<string, unknown> = {};
    for (const name of plan.order) {
      const planned = plan.stages.get(name);
      if (!planned) continue;
      const deps: Record<string, unknown> = {};
      if (planned.before.some((b) => outputs[b] === undefined && planned.needs.includes(b))) continue;
      for (const b of planned.before) if (outputs[b] !== undefined) deps[b] = outputs[b];
      const { ctx } = await createStageContext({ runId: "bench", outDir: out, sample, stage: name, resources, settings });
      const c0 = await allCpuS();
      const options = name === "au-extract" ? { ...(planned.options as object), rate: RATE } : planned.options;
      const r = await runStage(planned.stage, { sample, options, deps }, ctx);
      cpu.set(name, (cpu.get(name) ?? 0) + (await allCpuS()) - c0);
      if (r.status === "done") outputs[name] = r.output;
    }
    videoS += (outputs.probe as { durationS?: number } | undefined)?.durationS ?? 0;
  }
  await resources.close();
  await rm(out, { recursive: true, force: true });
  const total = [...cpu.values()].reduce((a, b) => a + b, 0);
  const lines = [
    `-- CPU per stage, each stage alone, six clips (${f2(videoS)} s of video), ${asr ? "offline speech recognition" : "given transcripts"} (load ${load()})`,
    `${"stage".padEnd(16)} ${"CPU s".padStart(7)} ${"per video-s".padStart(12)} ${"share".padStart(7)}`,
  ];
  for (const [name, s] of [...cpu].sort((a, b) => b[1] - a[1])) {
    lines.push(`${name.padEnd(16)} ${f2(s).padStart(7)} ${f2(s / videoS).padStart(12)} ${`${((100 * s) / total).toFixed(1)} %`.padStart(7)}`);
  }
  lines.push(`${"all stages".padEnd(16)} ${f2(total).padStart(7)} ${f2(total / videoS).padStart(12)}`);
  lines.push(`face model load (once per process): ${f2(modelLoadS)} CPU-s`);
  return lines;
}

/**
 * The adaptive face-analysis rate against full rate (every frame) on the six clips and two variants of
 * each made with ffmpeg (mirrored, played backwards): the au-extract CPU, and whether au-analyze (merr
 * rules) then picks the same peak frame, the same pseudo-label and the same AUs at the peak.
 */
async function adaptiveSection(dir: string): Promise<string[]> {
  const plan = compilePipeline(getPipeline("merr"));
  const resources = new ResourcePool();
  const clips = path.join(dir, "variants");
  await mkdir(clips, { recursive: true });
  const inputs: Array<{ name: string; file: string }> = [];
  for (const code of CODES) {
    inputs.push({ name: code, file: clipOf(code) });
    for (const [tag, vf] of [["mirrored", "hflip"], ["backwards", "reverse"]] as const) {
      const file = path.join(clips, `${code}-${tag}.mp4`);
      await runTool("ffmpeg", ["-v", "error", "-y", "-i", clipOf(code), "-vf", vf, "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", file]);
      inputs.push({ name: `${code} ${tag}`, file });
    }
  }
  const probe = plan.stages.get("probe");
  const extract = plan.stages.get("au-extract");
  const analyze = plan.stages.get("au-analyze");
  if (!probe || !extract || !analyze) throw new Error("merr pipeline without probe, au-extract or au-analyze");
  const lines = [`-- adaptive face-analysis rate against every frame (${inputs.length} clips: the six, mirrored, backwards; load ${load()})`];
  lines.push(`${"clip".padEnd(14)} ${"frames".padStart(11)} ${"CPU s".padStart(11)}  peak frame (full / adaptive)  pseudo-label (full / adaptive)  AUs at peak`);
  let same = 0;
  let near = 0;
  let label = 0;
  let aus = 0;
  let cpuFull = 0;
  let cpuAdaptive = 0;
  const full = new Map<string, { peak: number; label: string }>();
  for (const input of inputs) {
    const sample: Sample = { id: input.name.replace(/\W+/g, "_"), path: input.file, source: "bench" };
    const result: Record<string, { frames: number; cpu: number; peak: number; label: string; aus: string }> = {};
    for (const rate of ["full", "adaptive"] as const) {
      const out = path.join(dir, `adaptive-${rate}`);
      const ctxOf = async (stage: string) => (await createStageContext({ runId: "bench", outDir: out, sample, stage, resources })).ctx;
      const p = await runStage(probe.stage, { sample, options: probe.options }, await ctxOf("probe"));
      if (p.status !== "done") throw new Error(`${input.name}: probe ${p.status}`);
      const c0 = await allCpuS();
      const e = await runStage(extract.stage, { sample, options: { ...(extract.options as object), rate, ...(COARSE ? { coarseFps: COARSE } : {}) }, deps: { probe: p.output } }, await ctxOf("au-extract"));
      const cpu = (await allCpuS()) - c0;
      if (e.status !== "done") throw new Error(`${input.name}: au-extract ${e.status}`);
      const a = await runStage(analyze.stage, { sample, options: analyze.options, deps: { "au-extract": e.output } }, await ctxOf("au-analyze"));
      const o = a.status === "done" ? (a.output as { peak_frame: number; pseu_emotion: string; peak_AU_list: string[] }) : undefined;
      result[rate] = { frames: (e.output as { frames: number }).frames, cpu, peak: o?.peak_frame ?? -1, label: o?.pseu_emotion ?? `(${a.status})`, aus: o?.peak_AU_list.join(" ") ?? "" };
    }
    const f = result.full!;
    const d = result.adaptive!;
    full.set(input.name, f);
    cpuFull += f.cpu;
    cpuAdaptive += d.cpu;
    if (f.peak === d.peak) same++;
    if (Math.abs(f.peak - d.peak) <= 3) near++;
    if (f.label === d.label) label++;
    if (f.aus === d.aus) aus++;
    lines.push(
      `${input.name.padEnd(14)} ${`${f.frames}/${d.frames}`.padStart(11)} ${`${f2(f.cpu)}/${f2(d.cpu)}`.padStart(11)}  ${`${f.peak} / ${d.peak}`.padEnd(28)}  ${`${f.label} / ${d.label}`.padEnd(31)}  ${f.aus === d.aus ? "same" : `${f.aus} / ${d.aus}`}`,
    );
  }
  // The noise floor: full-rate analysis of each clip against full-rate analysis of its mirror image, a
  // change that should not matter either.
  let mSame = 0;
  let mNear = 0;
  let mLabel = 0;
  for (const code of CODES) {
    const o = full.get(code);
    const m = full.get(`${code} mirrored`);
    if (!o || !m) continue;
    if (o.peak === m.peak) mSame++;
    if (Math.abs(o.peak - m.peak) <= 3) mNear++;
    if (o.label === m.label) mLabel++;
  }
  lines.push(`noise floor, full rate on each clip against full rate on its mirror image: same peak frame ${mSame}/6, within 3 frames ${mNear}/6, same pseudo-label ${mLabel}/6`);
  const n = inputs.length;
  lines.push(
    `same peak frame ${same}/${n}, within 3 frames ${near}/${n}; same pseudo-label ${label}/${n}; same AUs at the peak ${aus}/${n}; ` +
      `au-extract CPU ${f2(cpuFull)} s full, ${f2(cpuAdaptive)} s adaptive (${((100 * cpuAdaptive) / cpuFull).toFixed(0)} %)`,
  );
  await resources.close();
  return lines;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "merr-bench-pipeline-"));
  try {
    const cpus = os.cpus();
    const lines = [
      `machine: ${cpus.length} x ${cpus[0]?.model ?? "?"}, availableParallelism ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load avg at start ${load()}`,
    ];
    if (ONLY === undefined || ONLY === "given" || ONLY === "asr") {
      const clips = path.join(dir, "clips");
      await mkdir(clips, { recursive: true });
      const manifests = await prepareClips(clips, COPIES);
      const ids = Array.from({ length: COPIES }, (_, c) => CODES.map((code) => `c${c}_${code}`)).flat();
      lines.push(...(await cliSection(dir, manifests, ids)));
    }
    if (ONLY === undefined || ONLY === "adaptive") lines.push(...(await adaptiveSection(dir)));
    if (ONLY === undefined || ONLY === "stages") {
      lines.push(...(await stageSection(dir, false)));
      lines.push(...(await stageSection(dir, true)));
    }
    lines.push(`load avg at end ${load()}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
