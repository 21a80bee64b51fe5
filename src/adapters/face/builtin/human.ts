import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Config, Human } from "@vladmandic/human";
import { coerceError, MerrError } from "../../../core/errors.ts";

const require = createRequire(import.meta.url);

/** Folder of an installed npm package (found through its package.json, never by executing it). */
function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Human's `exports` map has no "./package.json" entry: resolve its main file (not executed) instead.
    return path.resolve(path.dirname(require.resolve(name)), "..");
  }
}

/** Where Human and the tfjs WASM binaries live: everything the analyzer loads comes from node_modules. */
export function humanPaths(): { humanDir: string; modelsDir: string; wasmDir: string; build: string } {
  const humanDir = packageDir("@vladmandic/human");
  return {
    humanDir,
    modelsDir: path.join(humanDir, "models"),
    wasmDir: path.join(packageDir("@tensorflow/tfjs-backend-wasm"), "dist"),
    // The package's exports map is malformed (keys without "./"): load the node-wasm build by path.
    build: path.join(humanDir, "dist", "human.node-wasm.js"),
  };
}

/** Faces analysed per frame (a main subject and up to two others in view). */
export const MAX_FACES = 3;

/**
 * Human configuration for per-frame video analysis. Detection reuse is driven by the analyzer
 * (see face-analyzer.ts): the detector box is kept for as long as `cacheSensitivity` is non-zero and
 * re-detected whenever the analyzer sets it to 0 for one frame. Wall-clock based reuse is disabled
 * (`skipTime` is irrelevant when huge, emotion never reuses) so results do not depend on machine speed.
 */
export function humanConfig(paths = humanPaths()): Partial<Config> {
  return {
    backend: "wasm",
    modelBasePath: `file://${paths.modelsDir}/`,
    wasmPath: `${paths.wasmDir}/`,
    wasmPlatformFetch: false,
    debug: false,
    async: false,
    warmup: "none",
    cacheModels: false,
    cacheSensitivity: 0,
    filter: { enabled: false } as Config["filter"],
    body: { enabled: false } as Config["body"],
    hand: { enabled: false } as Config["hand"],
    object: { enabled: false } as Config["object"],
    segmentation: { enabled: false } as Config["segmentation"],
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: "blazeface.json",
        rotation: true,
        // Several faces, so the extractor can follow one subject instead of whichever face scores best.
        maxDetected: MAX_FACES,
        skipFrames: Number.MAX_SAFE_INTEGER,
        skipTime: Number.MAX_SAFE_INTEGER,
        minConfidence: 0.3,
        iouThreshold: 0.1,
        mask: false,
        return: false,
        square: false,
        scale: 1.4,
      },
      mesh: { enabled: true, modelPath: "facemesh.json", keepInvalid: false },
      iris: { enabled: true, modelPath: "iris.json", scale: 2.3 },
      attention: { enabled: false, modelPath: "facemesh-attention.json" },
      emotion: { enabled: true, modelPath: "emotion.json", minConfidence: 0, skipFrames: 0, skipTime: 0 },
      // Identity (1024-value descriptor, HSE-FaceRes): the analyzer turns it on for detection frames only,
      // to link a subject's tracks across shot cuts (subject.ts).
      description: { enabled: true, modelPath: "faceres.json", minConfidence: 0, skipFrames: 0, skipTime: 0 },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      gear: { enabled: false },
      insightface: { enabled: false },
    } as unknown as Config["face"],
  };
}

type TfIo = {
  registerLoadRouter(router: (url: string | string[]) => unknown): void;
  getModelArtifactsForJSON(json: unknown, load: (manifest: Array<{ paths: string[]; weights: unknown[] }>) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
};

let routerInstalled = false;

/**
 * Lets tfjs load `file://` model URLs from disk. This is a tfjs IO router, scoped to the tfjs instance
 * and to `file://` URLs: the process's global fetch is left untouched.
 */
function installFileRouter(io: TfIo): void {
  if (routerInstalled) return;
  routerInstalled = true;
  io.registerLoadRouter((url) => {
    if (typeof url !== "string" || !url.startsWith("file://")) return null;
    const file = fileURLToPath(url);
    return {
      load: async () => {
        const json = JSON.parse(await readFile(file, "utf8")) as unknown;
        return io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: unknown[] = [];
          const parts: Buffer[] = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const p of group.paths) parts.push(await readFile(path.join(path.dirname(file), p)));
          }
          const all = Buffer.concat(parts);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
        });
      },
    };
  });
}

/** Versions of what produced the analysis, for provenance. */
export interface HumanInfo {
  human: string;
  tfjs: string;
  backend: string;
  models: string[];
}

/**
 * Loads Human (node-wasm build) with models from node_modules and the WASM backend. No network.
 * Costs a few seconds: call it once per process (e.g. through `ctx.resource`).
 */
export async function loadHuman(): Promise<{ human: Human; info: HumanInfo }> {
  const paths = humanPaths();
  try {
    const mod = require(paths.build) as { Human: new (config: Partial<Config>) => Human };
    const human = new mod.Human(humanConfig(paths));
    installFileRouter((human.tf as { io: TfIo }).io);
    await human.load();
    await human.tf.ready();
    const backend = String(human.tf.getBackend());
    if (backend !== "wasm") throw new MerrError("E_INTERNAL", `Human started on backend "${backend}" instead of wasm`);
    const models = ["blazeface", "facemesh", "iris", "emotion", "faceres"];
    return { human, info: { human: human.version, tfjs: String(human.tf.version_core), backend, models } };
  } catch (error) {
    const e = coerceError(error);
    throw new MerrError("E_MODEL_UNAVAILABLE", `could not load the built-in face models from ${paths.humanDir}: ${e.message}`, {
      cause: error,
      retryable: false,
    });
  }
}
