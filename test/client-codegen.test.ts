import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generate, loadCodegenConfig } from "@graphql-codegen/cli";
import { repoRoot } from "./helpers/paths";

const ROOT = repoRoot();
const TARGET = "./src/client/generated.ts";

describe("ibkr-graphql/client", () => {
  it("resolves through package.json exports", () => {
    assert.equal(require.resolve("ibkr-graphql/client"), join(ROOT, "dist/src/client/index.js"));
    const loaded: unknown = module.require("ibkr-graphql/client");
    assert.equal(loaded, module.require("../src/client"));
  });
});

describe("src/client/generated.ts", () => {
  it("is up to date with the schema and src/client/operations (run `npm run codegen`)", async () => {
    const { config } = await loadCodegenConfig({ configFilePath: join(ROOT, "codegen.yml") });
    const target = (config.generates as Record<string, unknown>)[TARGET];
    assert.ok(target, `codegen.yml has no ${TARGET} target`);
    const outputs = await generate(
      { ...config, generates: { [TARGET]: target as never }, cwd: ROOT, silent: true, verbose: false },
      false,
    );
    assert.equal(outputs.length, 1);
    const committed = readFileSync(join(ROOT, TARGET), "utf8");
    assert.equal(committed, outputs[0]!.content);
  });
});
