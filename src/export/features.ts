import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { commitTemp, tempPathFor, writeFileAtomic } from "../core/fs.ts";
import { FEATURE_FOLDERS, type FeatureFolder, type MerrEntry } from "../core/merr-entry.ts";
import { encodeNpyFloat32, npyFeatureProblem, readNpyHeader } from "./npy.ts";

/** How each trainer feature is produced (the trainer cannot start a task whose feature file is missing). */
const computedBy = (folder: FeatureFolder): string =>
  `merr build --features ${folder}=onnx:<your model.onnx> (or command:<your extractor>) computes it on the workers (docs/features.md). `;

export const FEATURE_RECIPES: Readonly<Record<FeatureFolder, string>> = {
  "mae_340_UTT":
    "FaceMAE utterance feature: MAE ViT-L (checkpoint 340) on every aligned 224x224 face frame, mean over frames -> float32 (1024,). " +
    computedBy("mae_340_UTT") +
    "Emotion-LLaMA's demo feeds zeros when it is unavailable (merr export --zero-face-features).",
  "maeV_399_UTT":
    "VideoMAE utterance feature: VideoMAE ViT-L (checkpoint 399) on 16 face frames (8 segments x 2), mean over tokens -> float32 (1024,). " +
    computedBy("maeV_399_UTT") +
    "Emotion-LLaMA's demo feeds zeros when it is unavailable (merr export --zero-face-features).",
  "HL-UTT":
    "chinese-hubert-large on the 16 kHz mono WAV (extract-audio's wavPath), last hidden layer, mean over time -> float32 (1024,). " +
    computedBy("HL-UTT").trimEnd(),
};

export interface FeatureReport {
  folder: FeatureFolder;
  present: number;
  zeros: number;
  missing: string[];
  invalid: Array<{ name: string; file: string; problem: string }>;
  recipe: string;
}

/**
 * Fills `<dir>/<folder>/<name>.npy` for every listed entry with the run's feature files (copied: they
 * are 4 KiB), after checking each is one float32 (1024,) vector. The files are the ones `entry.features`
 * names (stage outputs, or `<sample>/features/<folder>.npy`, found by loadEntries). Missing or invalid
 * ones are reported; with `zeroFaceFeatures`, the two face features are written as zero vectors instead
 * (what the trainer's demo does), and counted as `zeros`. Returns the files it wrote (`<folder>/<name>.npy`):
 * a file an earlier export wrote for a name that now has no valid feature is not among them, and the export
 * removes it (export-folder.ts), so the folder never claims a feature the run lacks; a feature you put there
 * yourself is left alone.
 */
export async function exportFeatures(
  dir: string,
  entries: readonly MerrEntry[],
  options: { zeroFaceFeatures: boolean },
): Promise<{ reports: FeatureReport[]; written: string[] }> {
  const reports: FeatureReport[] = [];
  const written: string[] = [];
  const zero = encodeNpyFloat32(new Float32Array(1024));
  for (const folder of FEATURE_FOLDERS) {
    const report: FeatureReport = { folder, present: 0, zeros: 0, missing: [], invalid: [], recipe: FEATURE_RECIPES[folder] };
    const fillZeros = options.zeroFaceFeatures && folder !== "HL-UTT";
    for (const entry of entries) {
      const file = featurePath(folder, entry.name);
      const target = path.join(dir, file);
      const source = entry.features[folder];
      if (source) {
        let problem: string | undefined;
        try {
          const { header, size } = await readNpyHeader(source);
          problem = npyFeatureProblem(header, size);
        } catch (error) {
          problem = (error as Error).message;
        }
        if (!problem) {
          await copyAtomic(source, target);
          written.push(file);
          report.present++;
          continue;
        }
        report.invalid.push({ name: entry.name, file: source, problem });
      }
      if (fillZeros) {
        await writeFileAtomic(target, zero);
        written.push(file);
        report.zeros++;
        continue;
      }
      if (!source) report.missing.push(entry.name);
    }
    reports.push(report);
  }
  return { reports, written };
}

/** `<folder>/<name>.npy`, relative to the export folder. */
export const featurePath = (folder: FeatureFolder, name: string): string => `${folder}/${name}.npy`;

async function copyAtomic(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  await copyFile(source, tmp);
  await commitTemp(tmp, target);
}

/** The manifest of which features exist and how to produce the missing ones. */
export function renderFeatureManifest(reports: readonly FeatureReport[]): string {
  return `${JSON.stringify(
    {
      note: "Each trainer feature is <folder>/<name>.npy, one float32 vector of shape (1024,), next to the list files.",
      folders: Object.fromEntries(
        reports.map((r) => [
          r.folder,
          { present: r.present, zeros: r.zeros, missing: r.missing.length, invalid: r.invalid.length, recipe: r.recipe, missingNames: r.missing, invalidFiles: r.invalid },
        ]),
      ),
    },
    null,
    2,
  )}\n`;
}
