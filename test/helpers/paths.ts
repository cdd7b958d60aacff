import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository root, found from the compiled test's location wherever it was compiled to. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("package.json not found above " + __dirname);
    dir = up;
  }
  return dir;
}
