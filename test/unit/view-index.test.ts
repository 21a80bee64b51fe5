import { describe, expect, it } from "vitest";
import { readStageRecord, writeStageRecord } from "../../src/core/records.ts";
import { appendReview } from "../../src/core/reviews.ts";
import { RunIndex } from "../../src/view/run-index.ts";
import { tempOutDir } from "../helpers/stage-context.ts";
import { completeStages, writeFakeRun } from "./export-fixtures.ts";

describe("the viewer's index of a run", () => {
  it("follows a run that is still being built, and flags a decision whose sample's inputs changed as stale", async () => {
    const run = await tempOutDir();
    await writeFakeRun(run, [{ id: "a", stages: completeStages({ label: "happy" }) }]);
    const index = new RunIndex(run);
    index.refresh();
    expect(index.rows().map((r) => [r.id, r.status])).toEqual([["a", "done"]]);

    // the build goes on: a sample still running (stage records, no sample.json), then finished
    await writeFakeRun(run, [{ id: "b", status: "running", stages: { probe: completeStages({ label: "sad" }).probe! } }]);
    index.refresh();
    expect(index.rows().map((r) => [r.id, r.status])).toEqual([["a", "done"], ["b", "running"]]);
    await writeFakeRun(run, [{ id: "b", stages: completeStages({ label: "sad" }) }]);
    await appendReview(run, { schema: "merr.review/1", sample: "b", action: "relabel", label: "fear", reviewer: "ann", at: new Date().toISOString(), inputs: { probe: "fp-probe", fine: "fp-fine" } });
    index.refresh();
    expect(index.rows().find((r) => r.id === "b")).toMatchObject({ status: "done", final: "sad", review: "relabelled", reviewedLabel: "fear", stale: false });

    // a rebuild redid `fine` on a changed input: the decision stays on disk, flagged, no longer applied
    const fine = (await readStageRecord(run, "b", "fine"))!;
    await writeStageRecord(run, "b", { ...fine, fingerprint: "fp-fine-2", finishedAt: new Date().toISOString() });
    index.refresh();
    expect(index.rows().find((r) => r.id === "b")).toMatchObject({ review: "stale", stale: true });
    expect(index.reviewsOf("b")).toHaveLength(1);
  });
});
