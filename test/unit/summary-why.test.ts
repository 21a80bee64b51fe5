import { describe, expect, it } from "vitest";
import { formatSummary, reasonKind, type RunSummary } from "../../src/runtime/summary.ts";

describe("the summary's why lines", () => {
  it("keep the digits of model specs and words, and HTTP status codes, while grouping other numbers", () => {
    // Before: "ollama:llava:Nb refused to describe the frame", "server answered HTTP N" for 400, 404 and 429 alike.
    expect(reasonKind("ollama:llava:13b refused to describe the frame: I'm sorry, I can't help")).toBe("ollama:llava:13b refused to describe the frame");
    expect(reasonKind("openai:Qwen2-Audio-7B-Instruct refused to describe the tone: no")).toBe("openai:Qwen2-Audio-7B-Instruct refused to describe the tone");
    expect(reasonKind("gemini:gemini-1.5-flash refused to describe the frame: the prompt was blocked (blockReason SAFETY)")).toBe(
      "gemini:gemini-1.5-flash refused to describe the frame",
    );
    expect(reasonKind("[E_MODEL_REJECTED] ollama:llava:13b: server answered HTTP 404: model not found")).toBe("server answered HTTP 404");
    expect(reasonKind("[E_MODEL_REJECTED] gemini:g: server answered HTTP 400: API key not valid")).toBe("server answered HTTP 400");
    expect(reasonKind("[E_MODEL_UNAVAILABLE] openai:m: server answered HTTP 429: slow down")).toBe("server answered HTTP 429");
    expect(reasonKind("AU12 is not active at 127.0.0.1 either")).toBe("AU12 is not active at 127.0.0.1 either");
    // The model layer's own messages read as one kind each.
    const cut = '[E_MODEL_OUTPUT_INVALID] gemini:g: answer cut off at the token limit (400 tokens; finishReason MAX_TOKENS): "and a sharply falling into"';
    expect(reasonKind(`${cut}; raise the stage option fine.maxTokens (now 400), e.g. --set fine.maxTokens=800`)).toBe("answer cut off at the token limit");
    expect(
      reasonKind("[E_MODEL_UNAVAILABLE] ollama:llava:13b: cannot reach the server at http://127.0.0.1:11555 (ECONNREFUSED; the URL is set by OLLAMA_HOST): start it there"),
    ).toBe("cannot reach the server at <file>");
    expect(reasonKind("[E_MODEL_REJECTED] openai:m: server answered HTTP 401: bad key. Fix: set OPENAI_API_KEY to a valid key")).toBe("server answered HTTP 401");
    // Lone numbers still group.
    expect(reasonKind("[E_TIMEOUT] openai:m: no answer within 120000 ms (MERR_OPENAI_TIMEOUT_MS)")).toBe("no answer within N ms");
    expect(reasonKind("only 3 of 12 frames had a face, 25% of them sharp")).toBe("only N of N frames had a face, N of them sharp");
  });

  it("count the messages of one kind together, and tell HTTP statuses apart", () => {
    const why: Record<string, number> = {};
    const messages = [
      ...Array.from({ length: 6 }, (_, i) => `ollama:llava:13b refused to describe the frame: I'm sorry (${i})`),
      "[E_MODEL_REJECTED] ollama:llava:13b: server answered HTTP 400: bad image",
      "[E_MODEL_REJECTED] ollama:llava:13b: server answered HTTP 404: model not found",
      "[E_MODEL_UNAVAILABLE] ollama:llava:13b: server answered HTTP 429: slow down",
      "[E_MODEL_UNAVAILABLE] ollama:llava:13b: server answered HTTP 429: slow down again",
    ];
    for (const m of messages) why[reasonKind(m)] = (why[reasonKind(m)] ?? 0) + 1;
    const summary: RunSummary = {
      total: 10, samples: { done: 0, filtered: 0, skipped: 6, failed: 4, pending: 0 },
      stages: [{ stage: "visual-describe", done: 0, skipped: 6, failed: 4, missing: 0, reasons: {}, why }],
      notDone: [], labels: { pseudo: {}, final: {} }, withoutPseudo: 0, transcriptsRejected: {}, lipSync: {}, faceTools: {}, warnings: [],
    };
    expect(formatSummary(summary)).toMatch(
      /^why at visual-describe: ollama:llava:13b refused to describe the frame ×6, server answered HTTP 429 ×2, server answered HTTP 400 ×1, server answered HTTP 404 ×1$/m,
    );
  });
});
