import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface Tracked {
  name: string;
  child: ChildProcess;
  pid: number;
  logPath: string;
  exited: Promise<number | null>;
}

/**
 * Every process the comparison starts, so that all of them are stopped by PID on success,
 * failure or Ctrl-C. Output goes to a log file per process (no pipe can fill up and stall it).
 */
export class ProcessGroup {
  private readonly running = new Map<number, Tracked>();

  /** Starts a process with stdout and stderr appended to `logPath`. */
  spawn(name: string, command: string, args: string[], logPath: string, cwd?: string): Tracked {
    const fd = openSync(logPath, "a");
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    return this.track(name, child, logPath);
  }

  /** Starts a process whose stdout the caller reads; stderr goes to `logPath`. */
  spawnPiped(name: string, command: string, args: string[], logPath: string, cwd?: string): Tracked {
    const fd = openSync(logPath, "a");
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", fd] });
    } finally {
      closeSync(fd);
    }
    return this.track(name, child, logPath);
  }

  /** SIGTERM, then SIGKILL for whatever has not exited after `graceMs`. */
  async stop(tracked: Tracked, graceMs = 15_000): Promise<void> {
    if (!this.running.has(tracked.pid)) return;
    signal(tracked.pid, "SIGCONT");
    signal(tracked.pid, "SIGTERM");
    const timer = setTimeout(() => signal(tracked.pid, "SIGKILL"), graceMs);
    await tracked.exited;
    clearTimeout(timer);
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all([...this.running.values()].map((t) => this.stop(t, graceMs)));
  }

  get size(): number {
    return this.running.size;
  }

  private track(name: string, child: ChildProcess, logPath: string): Tracked {
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${name}`);
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => {
        this.running.delete(pid);
        resolve(code);
      }),
    );
    const tracked: Tracked = { name, child, pid, logPath, exited };
    this.running.set(pid, tracked);
    return tracked;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** The last lines of a log, for telling the user why something failed. */
export function tailOf(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
