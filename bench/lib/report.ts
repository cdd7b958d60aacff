import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

/** bench/RESULTS.md of the repository (the compiled code runs from .build/bench-run/bench/lib). */
export const RESULTS_PATH = join(__dirname, "..", "..", "..", "..", "bench", "RESULTS.md");

const CHAOS_START = "<!-- chaos:start -->";
const CHAOS_END = "<!-- chaos:end -->";

/** The reliability section `npm run chaos` maintains, as it stands in RESULTS.md (empty when absent). */
export function currentChaosSection(): string {
  if (!existsSync(RESULTS_PATH)) return "";
  const text = readFileSync(RESULTS_PATH, "utf8");
  const start = text.indexOf(CHAOS_START);
  const end = text.indexOf(CHAOS_END);
  return start >= 0 && end > start ? text.slice(start, end + CHAOS_END.length) : "";
}

/** Replaces (or appends) the reliability section of RESULTS.md, leaving the bench table alone. */
export function writeChaosSection(lines: string[]): void {
  const section = [CHAOS_START, ...lines, CHAOS_END].join("\n");
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, "utf8") : "# Benchmark results\n";
  const old = currentChaosSection();
  const next = old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS_PATH, next);
}

export type Verdict = "PASS" | "MISS" | "INFO";

/** One row of the results table: a measured figure, its goal, its same-run baseline and the ratio. */
export interface ResultRow {
  figure: string;
  measured: string;
  goal: string;
  baseline: string;
  ratio: string;
  verdict: Verdict;
}

export interface FigureResult {
  title: string;
  rows: ResultRow[];
  /** How it was measured and, for a miss, why and what would close it. */
  notes: string[];
}

export function verdict(pass: boolean): Verdict {
  return pass ? "PASS" : "MISS";
}

/** The one printed line of a row. */
export function formatRow(r: ResultRow): string {
  return `${r.verdict.padEnd(4)}  ${r.figure}: ${r.measured} | baseline ${r.baseline} | ratio ${r.ratio} | goal ${r.goal}`;
}

export function machineLine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? "unknown CPU";
  return `${list.length} cores (${model}), Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Markdown pipes inside a cell would break the table. */
const cell = (s: string) => s.replace(/\|/g, "\\|");

export function resultsMarkdown(
  figures: FigureResult[],
  meta: { date: string; durationSec: number },
): string {
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); every ratio is against a baseline measured in the same run on the",
    "same machine. Re-run it to refresh this file.",
    "",
    `- Date: ${meta.date}`,
    `- Machine: ${machineLine()}`,
    `- Run time: ${meta.durationSec.toFixed(0)} s`,
    "",
    "| Figure | Measured | Goal | Baseline | Ratio | Result |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of figures) {
    for (const r of f.rows) {
      lines.push(
        `| ${cell(r.figure)} | ${cell(r.measured)} | ${cell(r.goal)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${r.verdict} |`,
      );
    }
  }
  lines.push("", "## Notes", "");
  for (const f of figures) {
    lines.push(`### ${f.title}`, "");
    for (const n of f.notes) lines.push(`- ${n}`);
    lines.push("");
  }
  const chaos = currentChaosSection();
  if (chaos) lines.push(chaos, "");
  return lines.join("\n");
}
