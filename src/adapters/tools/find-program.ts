import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";

const executable = (file: string): Promise<boolean> => access(file, constants.X_OK).then(() => true, () => false);

/**
 * Where a program would be started from: a name with a "/" is that file, a bare name is looked up in
 * `searchPath` (the PATH value) the way the process runner does. `undefined` when there is no
 * executable file. Starts nothing, so a preflight can check a program it will run later.
 */
export async function findProgram(bin: string, searchPath: string): Promise<string | undefined> {
  if (bin.includes("/")) return (await executable(path.resolve(bin))) ? path.resolve(bin) : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, bin);
    if (await executable(file)) return file;
  }
  return undefined;
}
