import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** utime + stime of a process, in seconds (from /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Per process, the CPU it used over `seconds`, as a percentage of one core. */
export async function cpuPercent(pids: readonly number[], seconds: number): Promise<number[]> {
  const before = pids.map(cpuSeconds);
  const startedMs = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - startedMs) / 1000;
  return pids.map((pid, i) => (100 * (cpuSeconds(pid) - (before[i] as number))) / elapsed);
}
