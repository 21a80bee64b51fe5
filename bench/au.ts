/**
 * AU analysis benchmark: a 10,000-frame OpenFace CSV (the MER-Factory notebook fixture tiled, frame
 * numbers and timestamps continued) parsed and analysed with both peak methods. Budget: < 200 ms for
 * parse + analysis. Run: `node --import tsx bench/au.ts`.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { analyzeAu } from "../src/core/au-analysis.ts";
import { loadAuRuleSet } from "../src/core/au-rules.ts";
import { parseOpenFaceCsv } from "../src/core/openface-csv.ts";

const FRAMES = 10_000;
const RUNS = 15;
const BUDGET_MS = 200;

function tiledCsv(frames: number): string {
  const text = readFileSync(new URL("../test/fixtures/openface/mer-factory-notebook-default.csv", import.meta.url), "utf8");
  const [header, ...lines] = text.trim().split("\n");
  const rows = lines.filter((l) => l.split(",").length === header!.split(",").length); // drop the fixture's cut last row
  const out = [header!];
  for (let i = 0; i < frames; i++) {
    const cells = rows[i % rows.length]!.split(",");
    cells[0] = String(i + 1);
    cells[2] = (i / 15).toFixed(3);
    out.push(cells.join(","));
  }
  return `${out.join("\n")}\n`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const csv = tiledCsv(FRAMES);
const merr = await loadAuRuleSet("merr");
const merFactory = await loadAuRuleSet("mer-factory");
const parse: number[] = [];
const paper: number[] = [];
const mf: number[] = [];
let last = { peak: "", summary: 0 };
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  const table = parseOpenFaceCsv(csv);
  parse.push(performance.now() - t);
  t = performance.now();
  const a = analyzeAu(table, merr, { seed: "bench", peakMethod: "paper" });
  paper.push(performance.now() - t);
  t = performance.now();
  const b = analyzeAu(table, merFactory, { seed: "bench", peakMethod: "mer-factory" });
  mf.push(performance.now() - t);
  last = { peak: a.peak_index, summary: b.mer_factory?.summary.length ?? 0 };
}
const total = median(parse) + median(paper);
const fmt = (x: number) => x.toFixed(1).padStart(7);
console.log(`AU analysis of a ${FRAMES}-frame OpenFace CSV (${(csv.length / 1e6).toFixed(1)} MB), median of ${RUNS} runs:`);
console.log(`  parse (40 columns, unquoted path)${fmt(median(parse))} ms`);
console.log(`  analyse, paper peak + merr rules  ${fmt(median(paper))} ms   (peak_index ${last.peak})`);
console.log(`  analyse, MER-Factory peaks        ${fmt(median(mf))} ms   (${last.summary} emotional peaks)`);
console.log(`  parse + paper analysis            ${fmt(total)} ms   budget ${BUDGET_MS} ms: ${total < BUDGET_MS ? "OK" : "OVER"}`);
if (total >= BUDGET_MS) process.exitCode = 1;
