import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests share one Redis server and spawn ffmpeg/redis children: keep files sequential
    // on the 2-core CI machine; tests inside a file may still run concurrently where they say so.
    fileParallelism: false,
    globalSetup: ["test/helpers/global-setup.ts"],
    setupFiles: ["test/helpers/setup-file.ts"],
    reporters: ["default", "./test/helpers/count-reporter.ts"],
  },
});
