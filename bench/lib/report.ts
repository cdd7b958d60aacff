import { cpus } from "node:os";

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
  return lines.join("\n");
}
