import { MerrError } from "../src/core/errors.ts";
import type { WorkerProfile } from "../src/runtime/define.ts";
import all from "./all.ts";
import cpu from "./cpu.ts";
import gpu from "./gpu.ts";

export const WORKER_PROFILES: ReadonlyMap<string, WorkerProfile> = new Map([all, cpu, gpu].map((p) => [p.name, p]));

export function getWorkerProfile(name: string): WorkerProfile {
  const p = WORKER_PROFILES.get(name);
  if (!p) throw new MerrError("E_USAGE", `unknown --profile "${name}"; choose one of ${[...WORKER_PROFILES.keys()].join(", ")}`);
  return p;
}
