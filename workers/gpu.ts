import { defineWorkerProfile } from "../src/runtime/define.ts";

/** Model stages: where the model servers (or GPUs) are. More jobs in flight: they mostly wait on a model. */
export default defineWorkerProfile({
  name: "gpu",
  description: "model stages (transcript, audio tone, visual description, fine-grained reasoning, trainer features)",
  stages: ["transcript", "audio-tone", "visual-describe", "fine", "features"],
  concurrency: { transcript: 2, "audio-tone": 4, "visual-describe": 4, fine: 4, features: 1 },
});
