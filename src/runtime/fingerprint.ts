import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { hashJson } from "../core/ids.ts";
import { hasMerrLabel, normaliseLabel } from "../core/labels.ts";
import type { Sample } from "../core/types.ts";
import { behaviourVersion, type SampleField } from "../stages/_stage.ts";
import type { Plan } from "./plan.ts";

/**
 * Input fingerprints: what decides whether a stage record is still valid.
 *
 * A stage's fingerprint covers its name, version and options (and the content of the data files they
 * name, `dataFiles`), the sample fields it declares in `reads`
 * (the media file's identity, the given transcript, the given label) and the fingerprints of the stages
 * it reads (`needs` and `uses`). It is a pure function of the plan and the sample's inputs, so the build
 * computes every fingerprint before enqueueing: the enqueue decision (is the sample finished?) and the
 * worker's skip decision (is this record still valid?) compare the same values. A changed video therefore
 * redoes every stage that reads the media and everything downstream of them; a changed transcript only
 * the stages that read it and their successors; a changed label only the stages that read the label, and a
 * label that appears, goes or stops being a MERR label also those that read whether there is one.
 *
 * The media file enters by its content (size and the SHA-256 of all of it), not by its path or
 * modification time: a clips folder moved or copied elsewhere, or a clip touched, redoes nothing (the build
 * writes each moved sample's `sample.json` again with its new path), and a file rewritten in place with the
 * same size (a download completed into a preallocated file) is redone. sample.json records the identity
 * (`media`), so a rebuild reads a clip again only when its size or mtime changed. Records of merr versions
 * that keyed the media by path, mtime and the hash of its first and last MiB (`LEGACY_MEDIA`,
 * `legacyMediaIdentity`) are taken over by the build when those still hold (`legacyFingerprints`).
 */

/**
 * Identity of a media file: its size and the SHA-256 of its whole content (what enters the fingerprints),
 * and its mtime (when the hash was taken: a file whose size and mtime are those of an identity recorded
 * for it is not read again). `null` when it cannot be read (the stage then fails with its own message).
 */
export type MediaIdentity = { size: number; mtimeMs: number; sha256: string } | null;

const CHUNK = 1024 * 1024;
const EDGE = 1024 * 1024;

/**
 * The identity of `file`. `known` is one recorded for the same path earlier (sample.json's `media`): when
 * the file's size and mtime are still those, its hash is taken as it is; otherwise (a touched, copied or
 * rewritten file) the content is hashed again, so only a change of content changes the identity.
 */
export async function mediaIdentity(file: string, known?: MediaIdentity): Promise<MediaIdentity> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    // Missing or unreadable: the identity says so, and the stage that opens the file reports why.
    return null;
  }
  try {
    const st = await handle.stat();
    const mtimeMs = Math.round(st.mtimeMs);
    if (known && known.size === st.size && known.mtimeMs === mtimeMs) return known;
    const hash = createHash("sha256");
    const buf = Buffer.alloc(CHUNK);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
    return { size: st.size, mtimeMs, sha256: hash.digest("hex") };
  } catch {
    // A directory or a file that vanished while being read: treated as unreadable, as above.
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * The identity merr versions before whole-file hashing gave a file: size, mtime and the SHA-256 of its
 * first and last MiB (all of it below 2 MiB). Read only to recognise their records (`legacyFingerprints`).
 */
export async function legacyMediaIdentity(file: string): Promise<MediaIdentity> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return null;
  }
  try {
    const st = await handle.stat();
    const hash = createHash("sha256");
    const read = async (position: number, length: number): Promise<void> => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      hash.update(buf.subarray(0, bytesRead));
    };
    if (st.size <= 2 * EDGE) await read(0, st.size);
    else {
      await read(0, EDGE);
      await read(st.size - EDGE, EDGE);
    }
    return { size: st.size, mtimeMs: Math.round(st.mtimeMs), sha256: hash.digest("hex") };
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** The identities of many files, `concurrency` at a time (in the order given; `known[i]` as in {@link mediaIdentity}). */
export async function mediaIdentities(files: string[], concurrency = 16, known: readonly MediaIdentity[] = []): Promise<MediaIdentity[]> {
  const out: MediaIdentity[] = new Array<MediaIdentity>(files.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      out[i] = await mediaIdentity(files[i] as string, known[i] ?? undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return out;
}

/**
 * How the media file entered the fingerprints of merr versions before content identity: its absolute path
 * and its `legacyMediaIdentity`. Kept to recognise their records (`legacyFingerprints`), never to make new ones.
 */
const LEGACY_MEDIA = (sample: Sample, media: MediaIdentity): unknown => ({ path: sample.path, identity: media });

/** The value of one sample field as it enters a fingerprint. */
function fieldValue(field: SampleField, sample: Sample, media: MediaIdentity, legacy: boolean): unknown {
  switch (field) {
    case "media":
      return legacy ? LEGACY_MEDIA(sample, media) : contentOf(media);
    case "transcript":
      return sample.transcript ?? null;
    case "spokenTranscript":
      return sample.spokenTranscript ?? null;
    case "label":
      return sample.label ?? null;
    case "labelled":
      // true for a MERR label; an out-of-set label by name, since a label map (au-analyze's mapLabel) can
      // keep one and drop another; false for none. A relabel among MERR labels changes nothing here.
      return hasMerrLabel(sample) ? true : sample.label !== undefined && sample.label.trim() !== "" ? normaliseLabel(sample.label) : false;
  }
}

/** The files beside the clip each stage may read (`sampleFiles`), by stage; stages without any are left out. */
export function sampleFilesOf(plan: Plan, sample: Sample): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of plan.order) {
    const s = plan.stages.get(name);
    const files = s?.stage.sampleFiles?.(sample, s.options) ?? [];
    if (files.length) out[name] = files;
  }
  return out;
}

/**
 * The identities of the files beside each sample's clip ({@link sampleFilesOf}): by stage, in the order the
 * stage looks for them, and by path for the files that exist (what sample.json records as `beside`).
 * `known(i, file)` is an identity recorded for that file earlier ({@link mediaIdentity}); `concurrency`
 * files are read at a time.
 */
export async function sampleFileIdentities(
  plan: Plan, samples: readonly Sample[], known: (i: number, file: string) => MediaIdentity | undefined = () => undefined, concurrency = 16,
): Promise<Array<{ byStage: Record<string, MediaIdentity[]>; byPath: Record<string, NonNullable<MediaIdentity>> }>> {
  const files = samples.map((sample) => sampleFilesOf(plan, sample));
  const flat = files.flatMap((byStage, i) => Object.values(byStage).flat().map((file) => ({ i, file })));
  const identities = await mediaIdentities(flat.map((f) => f.file), concurrency, flat.map((f) => known(f.i, f.file) ?? null));
  let next = 0;
  return files.map((byStage) => {
    const byPath: Record<string, NonNullable<MediaIdentity>> = {};
    const stages = Object.entries(byStage).map(([stage, list]) => [stage, list.map((file) => {
      const identity = identities[next++] ?? null;
      if (identity) byPath[file] = identity;
      return identity;
    })]);
    return { byStage: Object.fromEntries(stages) as Record<string, MediaIdentity[]>, byPath };
  });
}

/** A file as it enters a fingerprint: its content, not its path or mtime. */
const contentOf = (identity: MediaIdentity): unknown => (identity === null ? null : { size: identity.size, sha256: identity.sha256 });

/**
 * Every stage's input fingerprint for one sample, in plan order (pure). `files` holds the identities of
 * the files beside the clip that stages read (`sampleFileIdentities`), by stage.
 */
export function stageFingerprints(plan: Plan, sample: Sample, media: MediaIdentity, files: Readonly<Record<string, readonly MediaIdentity[]>> = {}): Record<string, string> {
  return fingerprintsOf(plan, sample, media, false, files);
}

/**
 * The fingerprints the same inputs had under merr versions that keyed the media by path and mtime too
 * (pure; `media` is the file's `legacyMediaIdentity`): a record with one of these was made from this very
 * file at this path, unchanged since.
 */
export function legacyFingerprints(plan: Plan, sample: Sample, media: MediaIdentity): Record<string, string> {
  return fingerprintsOf(plan, sample, media, true, {});
}

function fingerprintsOf(plan: Plan, sample: Sample, media: MediaIdentity, legacy: boolean, files: Readonly<Record<string, readonly MediaIdentity[]>>): Record<string, string> {
  const prints: Record<string, string> = {};
  for (const name of plan.order) {
    const s = plan.stages.get(name);
    if (!s) throw new Error(`plan has no stage ${name}`);
    const reads: Record<string, unknown> = Object.fromEntries(s.stage.reads.map((f) => [f, fieldValue(f, sample, media, legacy)]));
    // Files beside the clip (merr versions before them did not count them: `legacy` leaves them out).
    const beside = files[name];
    if (!legacy && beside?.length) reads.files = beside.map(contentOf);
    const deps = Object.fromEntries([...s.needs, ...s.uses].map((d) => [d, prints[d] ?? "absent"]));
    prints[name] = hashJson({ stage: name, version: behaviourVersion(s.stage, s.options), options: s.options, ...(s.dataHash ? { data: s.dataHash } : {}), reads, deps });
  }
  return prints;
}

/** The fingerprint of a whole sample: its stages' fingerprints (what `sample.json` records). */
export function sampleFingerprint(prints: Record<string, string>): string {
  return hashJson(prints);
}
