import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeJsonAtomic } from "../../core/fs.ts";
import { stableStringify } from "../../core/ids.ts";
import { silentLogger, type Logger } from "../../core/logger.ts";
import type { ModelAnswer, ModelClient, ModelRequest, TranscribeRequest, Transcription } from "./types.ts";

/**
 * Answer cache: one JSON file per answer under `<dir>/<backend>/<xx>/<key>.json`. The key hashes the
 * backend, the model, the prompt id and version, the rendered system and user prompt, the generation
 * parameters and the bytes of every image and audio input, so a changed model, prompt or input never
 * returns a stale answer, and a rerun of the same work makes no model call.
 */
export interface CachedAnswer {
  key: string;
  kind: "generate" | "transcribe";
  backend: string;
  model: string;
  promptId: string;
  text: string;
  /** The server marked the answer as a refusal (`ModelAnswer.refused`). */
  refused?: true;
  language?: string;
  createdAt: string;
}

export interface AnswerCache {
  readonly dir: string;
  /** `logger`: the calling job's (a damaged entry is said where it was met). */
  get(key: string, backend: string, logger?: Logger): Promise<CachedAnswer | undefined>;
  put(entry: CachedAnswer): Promise<void>;
}

const CACHE_FORMAT = 1;

async function fileHash(file: string): Promise<string> {
  return createHash("sha256").update(await readFile(file)).digest("hex");
}

/** The cache key of a generate request (reads and hashes every media file). */
export async function generateCacheKey(backend: string, model: string, request: ModelRequest): Promise<string> {
  const material = {
    format: CACHE_FORMAT,
    kind: "generate",
    backend,
    model,
    promptId: request.promptId,
    system: request.system ?? null,
    prompt: request.prompt,
    json: request.json ?? false,
    maxTokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    images: await Promise.all((request.images ?? []).map((i) => fileHash(i.path))),
    audio: await Promise.all((request.audio ?? []).map((a) => fileHash(a.path))),
  };
  return createHash("sha256").update(stableStringify(material)).digest("hex");
}

export async function transcribeCacheKey(backend: string, model: string, request: TranscribeRequest): Promise<string> {
  const material = { format: CACHE_FORMAT, kind: "transcribe", backend, model, language: request.language ?? null, audio: await fileHash(request.audio.path) };
  return createHash("sha256").update(stableStringify(material)).digest("hex");
}

export function createAnswerCache(dir: string, logger: Logger = silentLogger): AnswerCache {
  const fileOf = (backend: string, key: string): string => path.join(dir, backend, key.slice(0, 2), `${key}.json`);
  return {
    dir,
    async get(key, backend, log = logger) {
      let raw: string;
      try {
        raw = await readFile(fileOf(backend, key), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
      try {
        const entry = JSON.parse(raw) as CachedAnswer;
        if (entry.key === key && entry.backend === backend && typeof entry.text === "string") return entry;
      } catch {
        // A damaged entry is a miss: the answer is asked again and the file rewritten.
      }
      log.warn({ key, file: fileOf(backend, key) }, "ignoring a damaged answer-cache entry");
      return undefined;
    },
    async put(entry) {
      await writeJsonAtomic(fileOf(entry.backend, entry.key), entry);
    },
  };
}

function passes(request: ModelRequest, text: string): boolean {
  try {
    request.check?.(text);
    return true;
  } catch {
    // The stage's check changed since the answer was cached: ask again.
    return false;
  }
}

/** Wraps a client so answers are read from and written to `cache`. Each call logs where its request says. */
export function withAnswerCache(client: ModelClient, cache: AnswerCache, logger: Logger = silentLogger): ModelClient {
  const { backend, model } = client;
  return {
    backend,
    model,
    capabilities: client.capabilities,
    async generate(request: ModelRequest): Promise<ModelAnswer> {
      const log = request.logger ?? logger;
      const key = await generateCacheKey(backend, model, request);
      const hit = await cache.get(key, backend, log);
      // A marked refusal is kept as it came: the stage's check never applied to it.
      if (hit && (hit.refused === true || passes(request, hit.text))) {
        log.debug({ promptId: request.promptId, key }, "answer from cache");
        return { text: hit.text, ...(hit.refused ? { refused: true } : {}), backend, model, cached: true };
      }
      const answer = await client.generate(request);
      await cache.put({
        key,
        kind: "generate",
        backend,
        model,
        promptId: request.promptId,
        text: answer.text,
        ...(answer.refused ? { refused: true as const } : {}),
        createdAt: new Date().toISOString(),
      });
      return answer;
    },
    async transcribe(request: TranscribeRequest): Promise<Transcription> {
      const key = await transcribeCacheKey(backend, model, request);
      const hit = await cache.get(key, backend, request.logger ?? logger);
      if (hit) {
        return { text: hit.text, ...(hit.language ? { language: hit.language } : {}), backend, model, cached: true };
      }
      const result = await client.transcribe(request);
      await cache.put({
        key,
        kind: "transcribe",
        backend,
        model,
        promptId: "transcribe",
        text: result.text,
        ...(result.language ? { language: result.language } : {}),
        createdAt: new Date().toISOString(),
      });
      return result;
    },
  };
}
