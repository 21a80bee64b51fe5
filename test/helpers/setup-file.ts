import { afterAll } from "vitest";
import { removeTempDirs } from "./temp.ts";

// Runs in every test file (vitest setupFiles): the folders made with tempDir() go when the file ends.
afterAll(removeTempDirs);
