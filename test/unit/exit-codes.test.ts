import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/core/errors.ts";
import { EXIT_CODES_END, EXIT_CODES_START, exitCodeTable, withExitCodeTable } from "../../src/core/exit-codes.ts";
import { projectPath } from "../../src/core/paths.ts";

describe("the README's exit-code table", () => {
  const readme = readFileSync(projectPath("README.md"), "utf8");

  it("is the one src/core/errors.ts gives (run `npm run docs:exit-codes` after changing a code)", () => {
    expect(readme.includes(EXIT_CODES_START) && readme.includes(EXIT_CODES_END)).toBe(true);
    expect(withExitCodeTable(readme)).toBe(readme);
  });

  it("lists every error code on the row of its exit status", () => {
    const table = exitCodeTable();
    for (const [code, { exitCode }] of Object.entries(ERROR_CODES)) {
      const row = table.split("\n").find((line) => line.startsWith(`| ${exitCode} |`));
      expect(row, code).toContain(`\`${code}\``);
    }
    expect(table).toMatch(/^\| 69 \|.*`E_REDIS_UNAVAILABLE`/m);
    expect(table).toMatch(/^\| 70 \|.*`E_MODEL_REJECTED`/m);
  });

  it("notices a table that drifted, and a README without markers", () => {
    const drifted = readme.replace("| 69 |", "| 1 |");
    expect(withExitCodeTable(drifted)).not.toBe(drifted);
    expect(() => withExitCodeTable("# no table")).toThrow(/E_DATA_INVALID.*exit-code markers/);
  });
});
