import path from "node:path";
import { projectPath } from "../core/paths.ts";
import type { RunSampleIds } from "../core/run-samples.ts";
import type { Sample } from "../core/types.ts";
import { readCsv } from "./csv.ts";
import { folderSource } from "./folder.ts";

/** The six bundled CREMA-D clips (data/sample), with their acted label code and sentence. */
export async function bundledSampleSource(run?: RunSampleIds): Promise<Sample[]> {
  const dir = projectPath("data", "sample");
  const samples = await folderSource(dir, { source: "sample", run });
  const rows = await readCsv(path.join(dir, "labels.csv"), "labels");
  const byFile = new Map(rows.map((r) => [r.file, r]));
  return samples.map((s) => {
    const row = byFile.get(path.basename(s.path));
    return { ...s, ...(row?.emotion_code ? { label: row.emotion_code } : {}), ...(row?.sentence ? { transcript: row.sentence } : {}) };
  });
}
