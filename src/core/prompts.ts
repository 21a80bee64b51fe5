import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { MerrError } from "./errors.ts";
import { fileStamp } from "./fs.ts";
import { projectPath } from "./paths.ts";

/**
 * Prompts live in `prompts/<stage>/<name>.md`, one prompt per file: YAML front matter (`id`, `version`,
 * `variables`, optional `system`) between `---` lines, then the user prompt as the body. Placeholders are
 * `{{name}}`; every placeholder must be declared in `variables` and every declared variable must be used.
 * Rendering is pure; a missing or unknown variable is `E_DATA_INVALID` naming the file and the variable.
 */
export interface Prompt {
  /** `<stage>/<name>`, equal to the file's path under prompts/ without `.md`. */
  readonly id: string;
  readonly version: number;
  readonly variables: readonly string[];
  readonly description?: string;
  /** System instruction template (may use the same variables). */
  readonly system?: string;
  /** User prompt template. */
  readonly template: string;
  /** Absolute path of the file it came from. */
  readonly file: string;
}

export interface RenderedPrompt {
  /** `<id>@<version>`: recorded with every answer and part of the answer-cache key. */
  promptId: string;
  system?: string;
  prompt: string;
}

export const PROMPTS_DIR = projectPath("prompts");

const FrontMatterSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/, "must look like <stage>/<name>"),
  version: z.number().int().min(1),
  variables: z.array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/)).default([]),
  description: z.string().optional(),
  system: z.string().optional(),
});

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const VARIABLE_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;

function invalid(file: string, message: string): MerrError {
  return new MerrError("E_DATA_INVALID", `${path.relative(projectPath(), file) || file}: ${message}`);
}

function placeholders(file: string, text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!VARIABLE_NAME.test(name)) throw invalid(file, `malformed placeholder "${match[0]}"`);
    names.push(name);
  }
  return names;
}

/** Parses one prompt file's text (pure apart from the file name used in messages). */
export function parsePromptText(file: string, text: string): Prompt {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw invalid(file, "missing front matter (a '---' block at the top)");
  let raw: unknown;
  try {
    raw = parseYaml(match[1] ?? "");
  } catch (error) {
    throw invalid(file, `front matter is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = FrontMatterSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw invalid(file, `invalid front matter: ${issues}`);
  }
  const fm = parsed.data;
  const template = (match[2] ?? "").trim();
  if (template === "") throw invalid(file, "empty prompt body");
  const declared = new Set(fm.variables);
  const used = new Set([...placeholders(file, template), ...placeholders(file, fm.system ?? "")]);
  for (const name of used) {
    if (!declared.has(name)) throw invalid(file, `placeholder {{${name}}} is not declared in variables`);
  }
  for (const name of declared) {
    if (!used.has(name)) throw invalid(file, `variable "${name}" is declared but never used`);
  }
  return {
    id: fm.id,
    version: fm.version,
    variables: fm.variables,
    ...(fm.description !== undefined ? { description: fm.description } : {}),
    ...(fm.system !== undefined ? { system: fm.system.trim() } : {}),
    template,
    file,
  };
}

/** The file of prompt `id` (`<stage>/<name>`) under `root`; {@link loadPrompt} checks the id. */
export function promptFile(id: string, root = PROMPTS_DIR): string {
  return path.join(root, `${id}.md`);
}

/** Reads and parses one prompt file; its `id` must match its path under `root`. */
export function loadPromptFile(file: string, root = PROMPTS_DIR): Prompt {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new MerrError("E_DATA_INVALID", `prompt file ${file} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const prompt = parsePromptText(file, text);
  const expected = path.relative(root, file).replace(/\\/g, "/").replace(/\.md$/, "");
  if (prompt.id !== expected) throw invalid(file, `id "${prompt.id}" does not match its path (expected "${expected}")`);
  return prompt;
}

const memo = new Map<string, { stamp: string; prompt: Prompt }>();

/**
 * Loads `prompts/<id>.md`, parsed once per process while the file is unchanged (memoised by root and id,
 * read again when its modification time or size changes: a long-running worker uses an edited prompt).
 */
export function loadPrompt(id: string, root = PROMPTS_DIR): Prompt {
  if (!/^[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/.test(id)) {
    throw new MerrError("E_DATA_INVALID", `prompt id "${id}" must look like <stage>/<name>`);
  }
  const key = `${root}\0${id}`;
  const file = promptFile(id, root);
  const stamp = fileStamp(file);
  const cached = memo.get(key);
  if (cached && cached.stamp === stamp) return cached.prompt;
  const prompt = loadPromptFile(file, root);
  memo.set(key, { stamp, prompt });
  return prompt;
}

/** Every prompt file under `root` (sorted), for catalog checks. */
export function listPromptFiles(root = PROMPTS_DIR): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".md") && name !== "README.md") out.push(full);
    }
  };
  walk(root);
  return out;
}

function fill(prompt: Prompt, text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => vars[name] as string);
}

/**
 * Renders a prompt with `vars` (pure). Every declared variable must be given (an empty string is a value)
 * and no other variable may be given: both are E_DATA_INVALID naming the file and the variable.
 */
export function renderPrompt(prompt: Prompt, vars: Readonly<Record<string, string>>): RenderedPrompt {
  for (const name of prompt.variables) {
    if (typeof vars[name] !== "string") throw invalid(prompt.file, `missing variable "${name}" for prompt ${prompt.id}`);
  }
  const declared = new Set(prompt.variables);
  for (const name of Object.keys(vars)) {
    if (!declared.has(name)) throw invalid(prompt.file, `unknown variable "${name}" for prompt ${prompt.id}`);
  }
  return {
    promptId: `${prompt.id}@${prompt.version}`,
    ...(prompt.system !== undefined ? { system: fill(prompt, prompt.system, vars) } : {}),
    prompt: fill(prompt, prompt.template, vars),
  };
}
