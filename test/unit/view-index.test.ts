import { describe, expect, it } from "vitest";
import { readStageRecord, writeStageRecord } from "../../src/core/records.ts";
import { appendReview } from "../../src/core/reviews.ts";
import { RunIndex } from "../../src/view/run-index.ts";
import { parseRowQuery, queryRows } from "../../src/view/rows.ts";
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

  it("offers the lip check as a facet, from sample.json and from a sample still running", async () => {
    const run = await tempOutDir();
    const lips = (verdict: string) => ({ output: { description: "speaks in a normal tone.", lipSync: { verdict, syllables: 5, seen: 5, opened: verdict === "still" ? 0 : 5 } } });
    await writeFakeRun(run, [
      { id: "a", stages: { ...completeStages({ label: "happy" }), "audio-tone": lips("still") } },
      { id: "b", stages: { ...completeStages({ label: "sad" }), "audio-tone": lips("moving") } },
      { id: "c", stages: completeStages({ label: "sad" }) }, // an OpenFace CSV: not checked
      { id: "d", status: "running", stages: { "audio-tone": lips("still") } },
    ]);
    const index = new RunIndex(run);
    index.refresh();
    expect(index.rows().map((r) => [r.id, r.lips])).toEqual([["a", "still"], ["b", "moving"], ["c", undefined], ["d", "still"]]);
    const page = queryRows(index.rows(), parseRowQuery({ lips: "still" }));
    expect(page.rows.map((r) => r.id)).toEqual(["a", "d"]);
    expect(page.facets.lips).toEqual({ still: 2, moving: 1, none: 1 });
  });
});
