import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the local protocol server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  /** The body parsed as multipart form data, when it is. */
  form?: FormData;
}

/** What the server answers to one request. */
export interface ScriptedResponse {
  status?: number;
  /** An object is sent as JSON; a string is sent as is (to test malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (timeouts, concurrency). */
  delayMs?: number;
}

export interface ProtocolServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answers for the next requests, in order; when empty, `fallback(request)` answers. */
  queue: ScriptedResponse[];
  fallback: (request: RecordedRequest) => ScriptedResponse;
  /** Most requests in flight at the same time so far. */
  readonly maxInFlight: number;
  /** Forgets requests, scripts and in-flight counts (requests still running from earlier are not counted). */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A loopback HTTP server (port 0) that records every request and answers from a script: the test fixture
 * that speaks a model server's protocol. It never forwards anything anywhere.
 */
export async function startProtocolServer(fallback: (request: RecordedRequest) => ScriptedResponse): Promise<ProtocolServer> {
  let inFlight = 0;
  let maxInFlight = 0;
  let epoch = 0;
  const state = {
    requests: [] as RecordedRequest[],
    queue: [] as ScriptedResponse[],
    fallback,
  };
  const server: Server = createServer(async (req, res) => {
    const myEpoch = epoch;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const body = await readBody(req);
      const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      const type = String(req.headers["content-type"] ?? "");
      if (type.includes("json")) {
        try {
          recorded.json = JSON.parse(body.toString("utf8"));
        } catch {
          // Recorded as raw bytes only: the test asserts on what it expects.
        }
      } else if (type.includes("multipart/form-data")) {
        recorded.form = await new Request("http://local/", { method: "POST", headers: { "content-type": type }, body }).formData();
      }
      state.requests.push(recorded);
      const reply = state.queue.shift() ?? state.fallback(recorded);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status ?? 200, {
        "content-type": typeof reply.body === "string" ? "text/plain" : "application/json",
        ...reply.headers,
      });
      res.end(text);
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    } finally {
      if (myEpoch === epoch) inFlight--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get queue() {
      return state.queue;
    },
    set queue(value) {
      state.queue = value;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(value) {
      state.fallback = value;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    reset() {
      epoch++;
      inFlight = 0;
      maxInFlight = 0;
      state.requests = [];
      state.queue = [];
      state.fallback = fallback;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A short valid 16 kHz mono 16-bit WAV (a 440 Hz tone), for audio request tests. */
export function makeWav(seconds = 0.1, freq = 440): Buffer {
  const rate = 16000;
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
