// Lint: typescript-eslint's recommended rules plus the architecture boundaries of STYLE.md
// (stages know nothing of queues; core imports nothing above it; only core/config.ts reads process.env).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const processEnv = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: "read process.env only in src/core/config.ts (pass settings down)",
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "dist.*/**", "merr-out/**", ".merr/**", "coverage/**", ".scratch/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", fetch: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/core/config.ts"],
    rules: { "no-restricted-syntax": ["error", processEnv] },
  },
  {
    files: ["src/stages/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["bullmq", "ioredis"],
        patterns: [{ group: ["**/runtime/**", "**/cli/**", "**/pipelines/**", "**/workers/**"], message: "stages know nothing of queues or the CLI" }],
      }],
    },
  },
  {
    files: ["src/adapters/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["bullmq"],
        patterns: [{ group: ["**/stages/**", "**/runtime/**", "**/cli/**"], message: "adapters never import stages, runtime or CLI" }],
      }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    ignores: ["src/core/redis.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["bullmq", "ioredis"],
        patterns: [{ group: ["**/stages/**", "**/runtime/**", "**/cli/**", "**/adapters/**", "**/pipelines/**", "**/workers/**"], message: "core imports nothing above it" }],
      }],
    },
  },
  {
    files: ["src/runtime/**/*.ts"],
    ignores: ["src/runtime/bull.ts", "src/runtime/flow.ts", "src/runtime/run.ts", "src/runtime/dashboard.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ["bullmq"] }] },
  },
);
