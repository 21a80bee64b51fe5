import { MerrError } from "../../core/errors.ts";
import { createOpenFaceExtractor, type OpenFaceOptions } from "./openface.ts";
import type { AuExtractor } from "./types.ts";

export type { AuExtractor } from "./types.ts";
export { BUILTIN_VERSION } from "./builtin/version.ts";
// The sidecar loader without the analyzer (which loads TensorFlow WASM).
export { loadFaceSidecar, type FaceSidecar } from "./builtin/sidecar.ts";
export type { OpenFaceOptions } from "./openface.ts";

export type ExtractorName = "openface" | "builtin";
export const EXTRACTOR_NAMES = ["builtin", "openface"] as const satisfies readonly ExtractorName[];

export interface GetExtractorOptions {
  /** Options of the OpenFace extractor (binary, xvfb wrapper, timeout). */
  openface?: OpenFaceOptions;
}

/**
 * The AU extractor registered under `name`. `builtin` (merr's own face analyzer on @vladmandic/human)
 * is imported lazily: it loads TensorFlow WASM, which OpenFace users and `merr --help` never need.
 */
export async function getExtractor(name: ExtractorName, opts: GetExtractorOptions = {}): Promise<AuExtractor> {
  switch (name) {
    case "openface":
      return createOpenFaceExtractor(opts.openface);
    case "builtin": {
      const mod = (await import("./builtin/index.ts")) as { builtinExtractor: AuExtractor };
      return mod.builtinExtractor;
    }
    default:
      throw new MerrError("E_CONFIG_INVALID", `unknown AU extractor "${String(name)}" (known: ${EXTRACTOR_NAMES.join(", ")})`);
  }
}
