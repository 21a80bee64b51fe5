import { z } from "zod";
import { coerceError } from "../core/errors.ts";

/**
 * A string option that names a backend (`asr`, a tone, image or reasoning backend), checked with the
 * parser the stage runs on it: a wrong one fails when the pipeline is compiled, before any work, with
 * that parser's message (which lists the valid values), instead of failing every sample at this stage.
 */
export function specOption(parse: (spec: string) => unknown): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    try {
      parse(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: coerceError(error).reason });
    }
  });
}
