import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MerrError } from "../../src/core/errors.ts";
import { listPromptFiles, loadPrompt, loadPromptFile, parsePromptText, renderPrompt } from "../../src/core/prompts.ts";
import { tempDir } from "../helpers/temp.ts";

describe("prompt files", () => {
  it("loads every real file under prompts/ with an id matching its path", () => {
    const files = listPromptFiles();
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const prompt = loadPromptFile(file);
      expect(file.endsWith(`${prompt.id}.md`)).toBe(true);
      // Every real prompt renders with exactly its declared variables.
      const vars = Object.fromEntries(prompt.variables.map((v) => [v, `<${v}>`]));
      const rendered = renderPrompt(prompt, vars);
      expect(rendered.promptId).toBe(`${prompt.id}@${prompt.version}`);
      expect(rendered.prompt).not.toMatch(/\{\{/);
      for (const v of prompt.variables) expect(`${rendered.system ?? ""}${rendered.prompt}`).toContain(`<${v}>`);
    }
  });

  it("keeps the paper's fine-grained system prompt and question", () => {
    const prompt = loadPrompt("fine/labelled");
    expect(prompt.system).toContain("You are an emotion analysis expert. Please infer emotion label based on the given the emotional features.");
    expect(prompt.template).toContain("Please sort out the correct emotional clues and infer why the person in the video feels {{label}}.");
    expect(loadPrompt("fine/labelled")).toBe(prompt); // memoised
  });

  it("rejects a missing and an unknown variable, naming file and variable", () => {
    const prompt = loadPrompt("coarse/caption");
    const vars = { subject: "This person", possessive: "The person's", objective: "o", expression: "e", tone: "t", subtitle: "s" };
    expect(renderPrompt(prompt, vars).prompt).toBe(
      "This person in the video is o. The person's expression and actions include e, and t. Saying: s",
    );
    const { subtitle: _omitted, ...missing } = vars;
    expect(() => renderPrompt(prompt, missing)).toThrow(/prompts\/coarse\/caption\.md: missing variable "subtitle"/);
    const error = (() => {
      try {
        renderPrompt(prompt, { ...vars, mood: "x" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MerrError);
    expect((error as MerrError).code).toBe("E_DATA_INVALID");
    expect((error as MerrError).message).toMatch(/caption\.md: unknown variable "mood"/);
  });

  it("does not expand placeholders inside values (a subtitle cannot inject a variable)", () => {
    const p = parsePromptText("/x/a/b.md", "---\nid: a/b\nversion: 1\nvariables: [x, y]\n---\n{{x}} and {{y}}");
    expect(renderPrompt(p, { x: "{{y}}", y: "Y" }).prompt).toBe("{{y}} and Y");
  });

  it("rejects malformed files with the file name", async () => {
    expect(() => parsePromptText("/p/x.md", "no front matter")).toThrow(/x\.md: missing front matter/);
    expect(() => parsePromptText("/p/x.md", "---\nid: a/b\nversion: 1\nvariables: [x]\n---\n{{y}}")).toThrow(/placeholder \{\{y\}\} is not declared/);
    expect(() => parsePromptText("/p/x.md", "---\nid: a/b\nversion: 1\nvariables: [x, z]\n---\n{{x}}")).toThrow(/"z" is declared but never used/);
    expect(() => parsePromptText("/p/x.md", "---\nid: a/b\nversion: one\n---\nhi")).toThrow(/version/);
    expect(() => parsePromptText("/p/x.md", "---\nid: a/b\nversion: 1\ncolour: red\n---\nhi")).toThrow(/colour/);
    const root = await tempDir("merr-prompts-");
    await mkdir(path.join(root, "a"));
    await writeFile(path.join(root, "a", "b.md"), "---\nid: a/c\nversion: 1\n---\nhi\n");
    expect(() => loadPrompt("a/b", root)).toThrow(/does not match its path/);
    expect(() => loadPrompt("a/missing", root)).toThrow(/E_DATA_INVALID.*cannot be read/);
  });

  it("reads an edited prompt file again (a long-running worker does not keep the old text)", async () => {
    const root = await tempDir("merr-prompts-");
    await mkdir(path.join(root, "a"));
    const file = path.join(root, "a", "b.md");
    await writeFile(file, "---\nid: a/b\nversion: 1\n---\nDescribe the face.\n");
    expect(loadPrompt("a/b", root).template).toBe("Describe the face.");
    expect(loadPrompt("a/b", root)).toBe(loadPrompt("a/b", root)); // parsed once while unchanged
    await writeFile(file, "---\nid: a/b\nversion: 1\n---\nDescribe the face and the voice.\n");
    expect(loadPrompt("a/b", root).template).toBe("Describe the face and the voice.");
  });
});
