import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own report, preceded
 * by the name of every skipped test (their names say what is missing, e.g. a binary or an env variable).
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skippedNames: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skippedNames.push(`${m.moduleId.replace(`${process.cwd()}/`, "")} > ${t.fullName}`);
      }
      // A file that failed to load has no tests but is a failure.
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++;
    }
    for (const name of skippedNames) process.stdout.write(`\nskipped: ${name}`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skippedNames.length} skipped\n`);
  }
}
