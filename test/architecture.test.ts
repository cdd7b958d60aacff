import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { repoRoot } from "./helpers/paths";

/**
 * The layering of `src/`: each top-level folder (brokers, schema, session, …) is a layer, and the files directly
 * in `src/` assemble them (app.ts, server.ts, main.ts, build-schema.ts …). Folders must not import one another in
 * a cycle, and must not import the assembly, except these shared files. They stand in the graph as nodes of
 * their own, so a cycle through one (brokers → metrics.ts → brokers) is still found.
 */
const SHARED_LEAVES = new Set(["errors.ts", "ib-limits.ts", "logger.ts", "metrics.ts"]);

const SRC = join(repoRoot(), "src");

interface Edge {
  from: string;
  to: string;
  /** One import that makes the edge, "file: specifier", to show where to cut. */
  via: string;
}

/** The source file or folder a relative specifier names, as a path relative to src/. */
function target(fromFile: string, specifier: string): string | undefined {
  const abs = resolve(dirname(fromFile), specifier);
  const rel = relative(SRC, abs);
  if (rel.startsWith("..")) return undefined;
  for (const candidate of [`${abs}.ts`, join(abs, "index.ts")]) {
    if (existsSync(candidate)) return relative(SRC, candidate);
  }
  return existsSync(abs) && statSync(abs).isFile() ? rel : undefined;
}

/** Every import between top-level parts of src/, with `/` separators whatever the platform. */
function imports(): Array<{ file: string; specifier: string; to: string }> {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => join(SRC, f));
  assert.ok(files.length > 20, `expected the sources under ${SRC}`);
  const found: Array<{ file: string; specifier: string; to: string }> = [];
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith(".")) continue;
      const to = target(file, specifier);
      assert.ok(
        to !== undefined,
        `${relative(SRC, file)} imports "${specifier}", which names no source file`,
      );
      found.push({ file: relative(SRC, file).split(sep).join("/"), specifier, to: to.split(sep).join("/") });
    }
  }
  return found;
}

/** The top-level folder of a path relative to src/, or undefined for a file directly in src/. */
const folderOf = (path: string) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : undefined);
/** The node of the layer graph a path belongs to: its folder, a shared file, or none (the assembly). */
const nodeOf = (path: string) => folderOf(path) ?? (SHARED_LEAVES.has(path) ? path : undefined);

/** The cycles through the strongly connected parts of the graph (Tarjan), each as a closed list of nodes. */
function cycles(nodes: string[], next: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (n: string) => {
    index.set(n, index.size);
    low.set(n, index.get(n)!);
    stack.push(n);
    onStack.add(n);
    for (const m of next(n)) {
      if (!index.has(m)) {
        visit(m);
        low.set(n, Math.min(low.get(n)!, low.get(m)!));
      } else if (onStack.has(m)) {
        low.set(n, Math.min(low.get(n)!, index.get(m)!));
      }
    }
    if (low.get(n) === index.get(n)) {
      const component: string[] = [];
      let m: string;
      do {
        m = stack.pop()!;
        onStack.delete(m);
        component.push(m);
      } while (m !== n);
      if (component.length > 1) components.push(component);
    }
  };
  for (const n of [...nodes].sort()) if (!index.has(n)) visit(n);

  // Each edge inside a component closes a cycle along the shortest way back; one component may hold several
  // distinct cycles (brokers ⇄ session and schema → resolvers → brokers → schema), and each is named.
  const named = new Map<string, string[]>();
  for (const component of components) {
    const inside = new Set(component);
    for (const from of [...component].sort()) {
      for (const to of next(from).filter((m) => inside.has(m))) {
        const back = shortestPath(to, from, (n) => next(n).filter((m) => inside.has(m)));
        const cycle = [from, ...back];
        // Rotate to start at the smallest node, so the same cycle found from another edge is named once.
        const ring = cycle.slice(0, -1);
        const first = ring.indexOf([...ring].sort()[0]!);
        const rotated = [...ring.slice(first), ...ring.slice(0, first)];
        named.set(rotated.join(" → "), [...rotated, rotated[0]!]);
      }
    }
  }
  return [...named.values()];
}

/** The nodes from `start` to `goal` along the fewest edges (both included); both lie in one component. */
function shortestPath(start: string, goal: string, next: (n: string) => string[]): string[] {
  const cameFrom = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (n === goal) break;
    for (const m of next(n)) {
      if (!cameFrom.has(m)) {
        cameFrom.set(m, n);
        queue.push(m);
      }
    }
  }
  const path = [goal];
  for (let at = goal; at !== start; at = cameFrom.get(at)!) path.unshift(cameFrom.get(at)!);
  return path;
}

describe("architecture of src/", () => {
  const all = imports();
  const edges = new Map<string, Edge>();
  for (const { file, specifier, to } of all) {
    const from = nodeOf(file);
    const into = nodeOf(to);
    if (from === undefined || into === undefined || from === into) continue;
    const key = `${from}→${into}`;
    if (!edges.has(key)) edges.set(key, { from, to: into, via: `${file}: "${specifier}"` });
  }

  it("no folder imports the assembly (files directly in src/ other than the shared leaves)", () => {
    const offending = all
      .filter(
        ({ file, to }) =>
          folderOf(file) !== undefined && folderOf(to) === undefined && !SHARED_LEAVES.has(to),
      )
      .map(({ file, specifier }) => `${file}: "${specifier}"`);
    assert.deepEqual(offending, [], `folders import the assembly layer:\n${offending.join("\n")}`);
  });

  it("the top-level folders (and shared files) import one another without a cycle", () => {
    const folders = [...new Set([...edges.values()].flatMap((e) => [e.from, e.to]))];
    const next = (n: string) =>
      [...edges.values()]
        .filter((e) => e.from === n)
        .map((e) => e.to)
        .sort();
    const found = cycles(folders, next).map((cycle) => {
      const steps = cycle.slice(1).map((to, i) => `  ${edges.get(`${cycle[i]}→${to}`)!.via}`);
      return `${cycle.join(" → ")}\n${steps.join("\n")}`;
    });
    assert.deepEqual(found, [], `import cycles between folders of src/:\n${found.join("\n")}`);
  });
});
