import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { MerrError } from "../../core/errors.ts";
import { ENCODERS, type EncoderName, type ExtractorSpec } from "./encoders.ts";

const PLACEHOLDERS = ["audio", "frames", "faces", "video", "out"] as const;

/**
 * Splits a command template into argv like a shell would split words, without a shell: whitespace
 * separates, '...' and "..." group, a backslash escapes the next character. No expansion of any kind.
 */
export function splitTemplate(template: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < template.length) cur += template[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < template.length) {
      cur += template[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new MerrError("E_USAGE", `command template ${JSON.stringify(template)}: unclosed ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

/** Streams a file through SHA-256 (models are GBs: never read whole). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/**
 * Parses `--features` (repeatable): `HL-UTT=onnx:models/hubert.onnx,mae_340_UTT=command:python x.py {faces} {out}`.
 * A comma separates encoders only when an encoder name and `=` follow, so templates may contain commas.
 * Model paths are made absolute against `cwd` and hashed (the hash keys the records). Throws E_USAGE
 * for an unknown encoder, kind or placeholder, and for a model file that cannot be read.
 */
export async function resolveFeatureSpecs(items: readonly string[], cwd = process.cwd()): Promise<Partial<Record<EncoderName, ExtractorSpec>>> {
  const out: Partial<Record<EncoderName, ExtractorSpec>> = {};
  const split = new RegExp(`,(?=\\s*(?:${ENCODERS.join("|")})=)`);
  for (const part of items.flatMap((s) => s.split(split)).map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(onnx|command):(.+)$/s.exec(part);
    const name = m?.[1]?.trim();
    if (!m || !ENCODERS.includes(name as EncoderName)) {
      throw new MerrError("E_USAGE", `--features "${part}": expected <encoder>=onnx:<file> or <encoder>=command:<template>, encoder one of ${ENCODERS.join(", ")}`);
    }
    const encoder = name as EncoderName;
    if (out[encoder]) throw new MerrError("E_USAGE", `--features: ${encoder} is configured twice`);
    const value = m[3]!.trim();
    if (m[2] === "onnx") {
      const model = path.resolve(cwd, value);
      const sha256 = await sha256File(model).catch((error: unknown) => {
        throw new MerrError("E_USAGE", `--features ${encoder}: cannot read the model ${model}: ${(error as Error).message}`, { cause: error });
      });
      out[encoder] = { kind: "onnx", model, sha256 };
    } else {
      const argv = splitTemplate(value);
      for (const word of argv) {
        for (const [, ph] of word.matchAll(/\{([^}]*)\}/g)) {
          if (!PLACEHOLDERS.includes(ph as (typeof PLACEHOLDERS)[number])) {
            throw new MerrError("E_USAGE", `--features ${encoder}: unknown placeholder {${ph}} in the command; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(" ")}`);
          }
        }
      }
      if (!argv.some((w) => w.includes("{out}"))) throw new MerrError("E_USAGE", `--features ${encoder}: the command must write {out} (the .npy merr reads)`);
      out[encoder] = { kind: "command", argv };
    }
  }
  return out;
}

/** Replaces the placeholders of one argv word. Pure. */
export function fillPlaceholders(argv: readonly string[], values: Readonly<Record<(typeof PLACEHOLDERS)[number], string>>): string[] {
  return argv.map((w) => w.replace(/\{(audio|frames|faces|video|out)\}/g, (_, k: keyof typeof values) => values[k]));
}
