import { stat } from "node:fs/promises";
import { MerrError } from "../core/errors.ts";

/** Size of a clip in bytes; a missing, unreadable or empty file is a per-sample error naming the path. */
export async function clipSize(file: string): Promise<number> {
  const info = await stat(file).catch((error: unknown) => {
    throw new MerrError("E_INPUT_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  });
  if (info.size === 0) throw new MerrError("E_MEDIA_INVALID", `${file} is empty (0 bytes)`);
  return info.size;
}
