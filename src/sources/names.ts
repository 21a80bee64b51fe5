/** `merr build --source` names (a module of its own so that the CLI's option parsing loads no source). */
export const SOURCE_NAMES = ["sample", "folder", "manifest", "mer2023-semi"] as const;
