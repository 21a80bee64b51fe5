import { CAPTION_NOT_FOR_LABEL, type Counts } from "./select.ts";
import type { ExportReport } from "./run-export.ts";

const counts = (c: Counts): string =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "none";

/** Media problems printed one by one (all are in the report). */
const MAX_MEDIA_LINES = 20;

/** The export summary printed by the CLI: what was written and every exclusion by reason. */
export function formatExportReport(r: ExportReport): string {
  const lines = [
    `exported ${r.formats.join(", ")} to ${r.outDir}`,
    `samples: ${r.samples} read, ${r.kept} kept, coarse ${r.coarse}, fine ${r.fine}`,
    `labels (policy ${r.labelPolicy}): coarse {${counts(r.labels.coarse)}}; fine {${counts(r.labels.fine)}}`,
    `out-of-set labels: dropped {${counts(r.labels.dropped)}}; mapped {${counts(r.labels.mapped)}}`,
    r.coarseLabels === "pseudo"
      ? "coarse labels: the AU pseudo-labels (--coarse-labels pseudo)"
      : `coarse labels: a sample's own label where it has one, else the AU pseudo-label; own labels that overrule the rules' guess {${counts(r.labels.overruled)}}`,
    `excluded samples (failed/filtered/reviewed/unlisted): {${counts(r.excluded.samples)}}`,
    `not in coarse set: {${counts(r.excluded.coarse)}}`,
    `not in fine set: {${counts(r.excluded.fine)}}`,
  ];
  const v = r.reviews;
  if (v.decisions > 0 || v.reviewedOnly || v.unreadable > 0) {
    lines.push(
      `reviews: ${v.decisions} decisions on ${v.reviewed} samples applied: ${v.rejected} rejected, ${v.relabelled} relabelled, ${v.captionEdited} captions edited` +
        (v.stale ? `; ${v.stale} samples with only stale decisions (their inputs changed since; review them again in merr view)` : "") +
        (v.unreadable ? `; ${v.unreadable} unreadable files in reviews/ ignored` : "") +
        (v.reviewedOnly ? "; --reviewed-only: unreviewed samples left out" : ""),
    );
  }
  if (r.videos) lines.push(`videos: {${counts(r.videos)}}; left out for a missing video: {${counts(r.excluded.videos)}}`);
  if (r.audios) lines.push(`audios: {${counts(r.audios)}}`);
  if (r.missingMedia.length > 0) {
    const names = new Set(r.missingMedia.map((m) => m.name)).size;
    lines.push(`media missing for ${names} sample(s); merr export --check fails on those a data file lists:`);
    for (const m of r.missingMedia.slice(0, MAX_MEDIA_LINES)) {
      const where = m.in.length > 0 ? `listed without it in ${m.in.join(", ")}` : m.media === "video" ? "left out of the MERR lists" : "no format lists its audio";
      lines.push(`  ${m.name} ${m.media} (${m.reason}; ${where}): ${m.message}`, `    fix: ${m.fix}`);
    }
    if (r.missingMedia.length > MAX_MEDIA_LINES) lines.push(`  ... and ${r.missingMedia.length - MAX_MEDIA_LINES} more: export-report.json, missingMedia`);
  }
  for (const f of r.features ?? []) {
    lines.push(`features ${f.folder}: ${f.present} present, ${f.zeros} zero-filled, ${f.missing} missing, ${f.invalid} invalid`);
  }
  if (r.unlisted) lines.push(`warning: ${r.unlisted.note}`);
  const mismatched = r.captionNotForLabel ?? [];
  if (mismatched.length > 0) {
    lines.push(
      `warning: ${mismatched.length} sample(s) left the fine set (${CAPTION_NOT_FOR_LABEL}): their fine caption ends on another label than the one they would be exported with ` +
        `(a relabel in merr view without a caption edit, or an edited caption): ${firstFew(mismatched)}; edit their caption in merr view (e), then export again (export-report.json lists them all)`,
    );
  }
  lines.push(`files: ${r.files.join(", ")}`);
  if (r.removed.length > 0) lines.push(`removed ${r.removed.length} file(s) the previous export wrote here and this one did not: ${firstFew(r.removed)}`);
  for (const k of r.notRemoved) lines.push(`not removed: ${k.file} (${k.reason})`);
  if (r.untracked.length > 0) {
    lines.push(
      `${r.untracked.length} file(s) here that no export report lists (yours, or from a merr export that did not record its media) are kept: ` +
        `${byFolder(r.untracked)}; a trainer may read them: delete the ones that do not belong, or export into a new folder`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The first few names, then how many more (the report lists all). */
const firstFew = (names: readonly string[], max = 8): string =>
  names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more (export-report.json)`;

/** Files grouped by their first folder: `videos/ (120), notes.txt`. */
function byFolder(files: readonly string[]): string {
  const groups = new Map<string, number>();
  for (const f of files) {
    const slash = f.indexOf("/");
    const key = slash < 0 ? f : `${f.slice(0, slash)}/`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return firstFew([...groups].map(([k, n]) => (k.endsWith("/") ? `${k} (${n})` : k)));
}
