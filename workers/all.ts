import { defineWorkerProfile } from "../src/runtime/define.ts";

/** Every queue: one machine does everything. */
export default defineWorkerProfile({
  name: "all",
  description: "every stage queue",
  stages: "*",
});
