import { z } from "zod";
import { coerceError } from "../core/errors.ts";
import { parseLabelPolicy } from "../core/labels.ts";

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

/**
 * Ground-truth labels outside the MERR set (`disgust`), as `FROM=TO|drop` pairs (`disgust=angry`; `*` for
 * any other), the syntax of `merr export --map-label`; `merr build --map-label` sets it for au-analyze and
 * fine alike. @defaultValue "" (drop every out-of-set label, as MERR dropped disgust)
 */
export const labelMapOption = (): z.ZodDefault<z.ZodString> => specOption(parseLabelPolicy).default("");
