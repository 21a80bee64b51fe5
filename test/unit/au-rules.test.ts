import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeAu } from "../../src/core/au-analysis.ts";
import { listAuRuleSets, loadAuRuleSet, MERR_LABELS, parseAuRuleSet, resolveAuRulesPath, withOverrides } from "../../src/core/au-rules.ts";
import { MerrError } from "../../src/core/errors.ts";
import { parseOpenFaceCsv } from "../../src/core/openface-csv.ts";
import { tempDir } from "../helpers/temp.ts";

const notebook = readFileSync(new URL("../fixtures/openface/mer-factory-notebook-default.csv", import.meta.url), "utf8");

async function tempRules(text: string): Promise<string> {
  const dir = await tempDir("merr-au-rules-");
  const file = path.join(dir, "custom.yaml");
  await writeFile(file, text);
  return file;
}

describe("AU rule sets (catalog: every real file in au-rules/ loads)", async () => {
  const names = await listAuRuleSets();
  it("ships merr, merr-clean and mer-factory", () => {
    expect(names).toEqual(expect.arrayContaining(["merr", "merr-clean", "mer-factory"]));
  });
  it.each(names)("au-rules/%s.yaml loads and is consistent", async (name) => {
    const rules = await loadAuRuleSet(name);
    expect(rules.id).toBe(name);
    expect(rules.hash).toMatch(/^[0-9a-f]{16}$/);
    for (const [emotion, def] of Object.entries(rules.emotions)) {
      for (const au of def.aus) expect(rules.aus[au], `${name}: ${emotion} uses ${au}`).toBeDefined();
      const label = def.label === undefined ? emotion : def.label;
      if (label !== null) expect(MERR_LABELS).toContain(label);
    }
  });
});

describe("the faithful merr vocabulary", () => {
  it("keeps the odd strings of real MERR", async () => {
    const merr = await loadAuRuleSet("merr");
    expect(merr.aus.AU01!.synonyms).toContain("Frown");
    expect(merr.aus.AU04!.synonyms).toContain("A look of disapprroval");
    expect(merr.aus.AU23!.synonyms).toContain("Tighten the lips,Purse the lips");
    expect(merr.aus.AU06!.synonyms).toContain("smile, Pleasure");
    expect(merr.emotions.surprise!.aus).toEqual(["AU01", "AU02", "AU05", "AU26"]);
    expect(merr.emotions.disgust!.label).toBeNull();
    const clean = await loadAuRuleSet("merr-clean");
    expect(clean.aus.AU01!.synonyms).not.toContain("Frown");
    expect(clean.emotions).toEqual(merr.emotions);
  });
});

describe("invalid rule files fail with file and line", () => {
  const valid = readFileSync(resolveAuRulesPath("merr"), "utf8");

  it("names an unknown key, its line, and the likely intended key", async () => {
    const text = valid.replace("  min_frame_fraction: 0.1", "  min_frame_fraction: 0.1\n  treshold: 2");
    const line = text.split("\n").findIndex((l) => l.includes("treshold")) + 1;
    const file = await tempRules(text);
    const error = await loadAuRuleSet(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_DATA_INVALID");
    expect((error as MerrError).message).toContain(`${file}:${line}: unknown key "treshold"`);
  });

  it("names a missing required key without a line of its own, and the misspelt one beside it", () => {
    const bad = valid.replace(/^pseudo_label:/m, "pseudo_labl:");
    const line = bad.split("\n").findIndex((l) => l.startsWith("pseudo_labl:")) + 1;
    let message = "";
    try {
      parseAuRuleSet(bad, "/rules/bad.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/rules/bad.yaml: missing key "pseudo_label"');
    expect(message).toContain(`/rules/bad.yaml:${line}: unknown key "pseudo_labl" (did you mean "pseudo_label"?)`);
  });

  it("suggests the nearest known key", () => {
    expect(() => parseAuRuleSet(valid.replace("  top_k: 5", "  top_kk: 5"), "/x/r.yaml")).toThrow(/unknown key "top_kk" \(did you mean "top_k"\?\)/);
  });

  it("cites the line of a bad value", () => {
    const bad = valid.replace("  intensity_min: 1.0 ", "  intensity_min: high ");
    const line = bad.split("\n").findIndex((l) => l.includes("intensity_min: high")) + 1;
    expect(() => parseAuRuleSet(bad, "/rules/bad.yaml")).toThrow(`/rules/bad.yaml:${line}: Invalid input: expected number, received string (active.intensity_min)`);
  });

  it("cites the lines of every cross-check failure: an undefined AU, a pool smaller than min_aus", () => {
    const bad = valid
      .replace("happy:    { aus: [AU06, AU12, AU14] }", "happy:    { aus: [AU06, AU99] }")
      .replace("doubt:    { aus: [AU25], min_aus: 1, fallback: true }", "doubt:    { aus: [AU25], fallback: true }");
    const lines = bad.split("\n");
    const at = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
    let message = "";
    try {
      parseAuRuleSet(bad, "/rules/bad.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`/rules/bad.yaml:${at("AU99")}: AU99 is not defined under "aus"`);
    expect(bad).not.toContain("AU25], min_aus");
    expect(message).toContain(`/rules/bad.yaml:${at("doubt:")}: emotion "doubt" needs 2 AUs but its pool has 1`);
  });

  it("refuses an emotion that is no MERR label without a label mapping", () => {
    const text = valid.replace("  doubt:    { aus: [AU25], min_aus: 1, fallback: true }", "  boredom:  { aus: [AU25], min_aus: 1, fallback: true }");
    expect(text).not.toBe(valid);
    expect(() => parseAuRuleSet(text, "/r.yaml")).toThrow(/"boredom" is not a MERR label/);
  });

  it("reports YAML syntax errors with their line", () => {
    expect(() => parseAuRuleSet("id: x\nversion: 1\naus: [unclosed\n", "/r/s.yaml")).toThrow(/\[E_DATA_INVALID\] \/r\/s\.yaml:\d+:/);
  });

  it("a missing rule set name says so", async () => {
    await expect(loadAuRuleSet("no-such-rules")).rejects.toThrow(/E_CONFIG_INVALID.*no rule set "no-such-rules" in au-rules\/ \(there: mer-factory, merr, merr-clean; or give a file's path\)/);
  });
});

describe("a rule set is data: editing a file changes the outcome", () => {
  it("the merr rules label the notebook clip doubt; a rule file with a surprise pool of AU25+AU26 labels it surprise", async () => {
    const table = parseOpenFaceCsv(notebook);
    const merr = await loadAuRuleSet("merr");
    expect(analyzeAu(table, merr, { seed: "s" }).pseu_emotion).toBe("doubt");
    const text = (await readFile(resolveAuRulesPath("merr"), "utf8")).replace(
      "surprise: { aus: [AU01, AU02, AU05, AU26] }",
      "surprise: { aus: [AU25, AU26] }",
    );
    const custom = await loadAuRuleSet(await tempRules(text));
    expect(custom.hash).not.toBe(merr.hash);
    const a = analyzeAu(table, custom, { seed: "s" });
    expect(a.pseu_emotion).toBe("surprise");
    expect(a.AU_list).toEqual(["AU25", "AU26"]);
  });

  it("an emotion's own min_frame_fraction: doubt that needs the lips apart in half the frames no longer fires on talking", async () => {
    const table = parseOpenFaceCsv(notebook);
    const merr = await loadAuRuleSet("merr");
    const base = analyzeAu(table, merr, { seed: "s" });
    expect(base.pseu_emotion).toBe("doubt");
    const doubtLine = "  doubt:    { aus: [AU25], min_aus: 1, fallback: true }";
    const text = (await readFile(resolveAuRulesPath("merr"), "utf8")).replace(doubtLine, "  doubt:    { aus: [AU25], min_aus: 1, min_frame_fraction: 0.5, fallback: true }");
    expect(text).not.toContain(doubtLine);
    const strict = await loadAuRuleSet(await tempRules(text));
    expect(strict.hash).not.toBe(merr.hash);
    expect(strict.pseudo_label.method === "pool-at-peak" && strict.pseudo_label.min_frame_fraction).toBe(0.1);
    const a = analyzeAu(table, strict, { seed: "s" });
    expect(a.decision.status).toBe("filtered-out");
    expect(a.candidates.map((c) => c.emotion)).not.toContain("doubt");
    // Only doubt's condition moved: the same share on another emotion's line leaves the label alone.
    const other = await loadAuRuleSet(await tempRules(text.replace("min_frame_fraction: 0.5, ", "").replace("  worried:  { aus: [AU20, AU28] }", "  worried:  { aus: [AU20, AU28], min_frame_fraction: 0.5 }")));
    expect(analyzeAu(table, other, { seed: "s" }).pseu_emotion).toBe("doubt");
  });

  it("refuses an emotion's min_frame_fraction outside 0..1 or under MER-Factory scoring, with its line", async () => {
    const valid = await readFile(resolveAuRulesPath("merr"), "utf8");
    const over = valid.replace("doubt:    { aus: [AU25], min_aus: 1,", "doubt:    { aus: [AU25], min_aus: 1, min_frame_fraction: 1.5,");
    expect(over).not.toBe(valid);
    expect(() => parseAuRuleSet(over, "/r/over.yaml")).toThrow(/\/r\/over\.yaml:\d+: .*emotions\.doubt\.min_frame_fraction/);
    const mf = await readFile(resolveAuRulesPath("mer-factory"), "utf8");
    const line = mf.split("\n").find((l) => /^\s+happy:/.test(l));
    expect(line).toBeDefined();
    const bad = mf.replace(line!, line!.replace(/\}\s*$/, ", min_frame_fraction: 0.5 }"));
    expect(bad).not.toBe(mf);
    const at = bad.split("\n").findIndex((l) => l.includes("min_frame_fraction: 0.5")) + 1;
    expect(() => parseAuRuleSet(bad, "/r/mf.yaml")).toThrow(`/r/mf.yaml:${at}: min_frame_fraction applies to pseudo_label method pool-at-peak only`);
  });

  it("overrides re-validate and re-hash", async () => {
    const merr = await loadAuRuleSet("merr");
    const strict = withOverrides(merr, { intensityMin: 3 });
    expect(strict.active.intensity_min).toBe(3);
    expect(strict.hash).not.toBe(merr.hash);
    expect(withOverrides(merr, {})).toBe(merr);
    const a = analyzeAu(parseOpenFaceCsv(notebook), strict, { seed: "s" });
    expect(a.decision.status).toBe("filtered-out");
    expect(() => withOverrides(merr, { minAus: 9 })).toThrow(/E_CONFIG_INVALID/);
  });
});
