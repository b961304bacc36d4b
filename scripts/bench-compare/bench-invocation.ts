import { join } from "node:path";
import type { BenchResult } from "../../src/bench/bench-result.js";
import { type ProcessGroup, tailOf } from "./process-group.js";

export interface BenchRun {
  result: BenchResult;
  /** The command as run (store addresses included). */
  command: string;
}

/**
 * Runs `ringkv bench ... --json` as its own process (the same tool a user runs) and parses its
 * output. Exit 1 with JSON on stdout means a phase was stopped by failures; that result is kept
 * (the report shows the errors) rather than thrown away.
 */
export async function runBenchCommand(
  group: ProcessGroup,
  bin: string,
  logDir: string,
  name: string,
  args: string[],
): Promise<BenchRun> {
  const all = ["bench", ...args, "--json"];
  const logPath = join(logDir, `bench-${name}.log`);
  const tracked = group.spawnPiped(`bench ${name}`, process.execPath, [bin, ...all], logPath);
  const chunks: Buffer[] = [];
  tracked.child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await tracked.exited;
  const stdout = Buffer.concat(chunks).toString("utf8");
  const command = `node bin/ringkv.js ${all.join(" ")}`;
  if (code === 0 || (code === 1 && stdout.trimStart().startsWith("{"))) {
    return { result: JSON.parse(stdout) as BenchResult, command };
  }
  throw new Error(`${command} exited with ${code}:\n${tailOf(logPath)}`);
}
