import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { projectPath } from "../../src/core/paths.ts";

/** docker-compose.yml as compose reads it (YAML merge keys resolved). */
const text = readFileSync(projectPath("docker-compose.yml"), "utf8");
const compose = parse(text, { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; ports?: string[]; profiles?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  volumes: Record<string, unknown>;
};
const merrServices = Object.entries(compose.services).filter(([, s]) => s.image === "merr:latest");

/** `docker compose` (the v2 plugin), when this machine has it. */
const hasCompose = spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0;

describe("docker-compose.yml", () => {
  it("needs no variable: every ${VAR} has a default, none is mandatory (${VAR:?...})", () => {
    const refs = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) expect(ref, `\${${ref}}`).toMatch(/^[A-Z0-9_]+:?-/);
  });

  it("publishes no Redis port on the host, and Redis keeps every job (noeviction)", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) expect(p, `${name} publishes ${p}`).not.toMatch(/(^|:)6379:/);
    }
    expect(compose.services.redis?.ports).toBeUndefined();
    expect(compose.services.redis?.command).toEqual(expect.arrayContaining(["--maxmemory-policy", "noeviction"]));
  });

  it("keeps the dashboard and Ollama behind profiles; the dashboard's auth comes from .env", () => {
    expect(compose.services.dashboard?.profiles).toEqual(["dashboard"]);
    expect(compose.services.ollama?.profiles).toEqual(["ollama"]);
    expect(compose.services.dashboard?.environment?.MERR_DASHBOARD_AUTH).toBe("${MERR_DASHBOARD_AUTH:-}");
    expect(compose.services.dashboard?.ports).toEqual(["127.0.0.1:3000:3000"]);
    // the dashboard still gets the shared settings through the merged environment
    expect(compose.services.dashboard?.environment?.MERR_REDIS_URL).toBe("redis://redis:6379");
  });

  it("mounts the work volume and a documented, read-only input folder in every merr service", () => {
    expect(merrServices.map(([n]) => n).sort()).toEqual(["dashboard", "merr", "worker-cpu", "worker-gpu"]);
    for (const [name, s] of merrServices) {
      expect(s.volumes, name).toContain("work:/work");
      expect(s.volumes, name).toContain("${MERR_INPUT:-./clips}:/input:ro");
      expect(s.environment?.MERR_REDIS_URL, name).toBe("redis://redis:6379");
    }
    expect(text).toMatch(/MERR_INPUT=\/data\/clips docker compose run --rm merr build --source folder --input \/input/);
  });

  it("has a features override that gives worker-gpu the GPU and mounts the models where the planning build sees them too", () => {
    const features = parse(readFileSync(projectPath("docker-compose.features.yml"), "utf8")) as typeof compose;
    expect(Object.keys(features.services).sort()).toEqual(["merr", "worker-gpu"]);
    expect(features.services["worker-gpu"]?.volumes).toEqual(["${MERR_MODELS:-./models}:/models:ro"]);
    expect(features.services.merr?.volumes).toEqual(["${MERR_MODELS:-./models}:/models:ro"]);
    expect(features.services["worker-gpu"]?.environment?.MERR_ONNX_PROVIDERS).toBe("cuda,cpu");
  });

  it.runIf(hasCompose)("passes `docker compose config` without any variable set (skipped where docker has no compose plugin)", () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(MERR_|OLLAMA_|OPENAI_|GEMINI_)/.test(k)));
    const out = execFileSync("docker", ["compose", "-f", projectPath("docker-compose.yml"), "config"], { env, encoding: "utf8" });
    expect(out).toContain("worker-cpu");
  });
});
