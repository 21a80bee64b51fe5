import { readFile } from "node:fs/promises";
import path from "node:path";
import { MerrError } from "../../core/errors.ts";

const MIME_BY_EXT: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".wav": "audio/wav",
  ".mp3": "audio/mp3",
  ".flac": "audio/flac",
};

export interface MediaPart {
  path: string;
  mimeType: string;
  bytes: Buffer;
  base64: string;
}

/** Reads a media file for a request; E_INPUT_INVALID when it is missing, empty or of an unknown type. */
export async function readMedia(file: string): Promise<MediaPart> {
  const mimeType = MIME_BY_EXT[path.extname(file).toLowerCase()];
  if (!mimeType) throw new MerrError("E_INPUT_INVALID", `${file}: unsupported media type for a model request`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new MerrError("E_INPUT_INVALID", `${file}: cannot read media for a model request: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length === 0) throw new MerrError("E_INPUT_INVALID", `${file}: empty media file`);
  return { path: file, mimeType, bytes, base64: bytes.toString("base64") };
}
