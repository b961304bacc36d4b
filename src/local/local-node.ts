import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors.js";

/**
 * A `ringkv start` child process on this machine: what `ringkv dev` and `ringkv demo` run, and
 * what the tests' cluster harness runs. The node is stopped by its PID only, never by name, so
 * nothing else on the machine is touched.
 */
export interface LocalNodeSpec {
  /** The node's id, for messages about it ("node n2 exited with 1 before serving"). */
  id: string;
  /** The `ringkv start` flags: `placementFlags(...)` and further ones (`--n 3`, `--log-level info`). */
  args: readonly string[];
  /** Variables added to this process's environment for the node (`RINGKV_ID`, ...). */
  env?: Readonly<Record<string, string | undefined>>;
  /** `json` lets `serving` learn the bound addresses from the node's "node serving" line. */
  logFormat: "json" | "pretty";
  /** The node's stdout: shown (`inherit`) or dropped. Nodes log to stderr; stdout stays quiet. */
  stdout: "inherit" | "ignore";
  /** Called with every line the node logs (its stderr). */
  onLogLine(line: string): void;
}

/** Where a node runs: its id, its addresses, its data and the members it joins through. */
export interface NodePlacement {
  id: string;
  /** Inter-node and client addresses (`host:port`; port 0 lets the node pick a free port). */
  listen: string;
  http: string;
  dataDir: string;
  /** Inter-node addresses of existing members; empty for the node that forms the cluster. */
  seeds: readonly string[];
}

/** The addresses a node bound, from its "node serving" log line. */
export interface ServingAddresses {
  http: string;
  listen: string;
}

/** The package's own command, next to the compiled sources (dist/src/local -> bin/ringkv.js). */
export const RINGKV_SCRIPT = fileURLToPath(new URL("../../../bin/ringkv.js", import.meta.url));

/** The `ringkv start` flags that put a node at `placement`. */
export function placementFlags(placement: NodePlacement): string[] {
  return [
    "--id",
    placement.id,
    "--listen",
    placement.listen,
    "--http",
    placement.http,
    "--data-dir",
    placement.dataDir,
    ...(placement.seeds.length > 0 ? ["--seeds", placement.seeds.join(",")] : []),
  ];
}

export class LocalNode {
  readonly id: string;
  readonly child: ChildProcess;
  /**
   * Resolves with the exit code (null when a signal ended the process) once the process has
   * exited and its log is read to the end, so `onLogLine` has seen every line by then.
   */
  readonly exited: Promise<number | null>;
  /** Resolves once the node logs "node serving" (json logs only); rejects if it exits first. */
  readonly serving: Promise<ServingAddresses>;

  constructor(spec: LocalNodeSpec, script: string = RINGKV_SCRIPT) {
    this.id = spec.id;
    const args = [script, "start", ...spec.args, "--log-format", spec.logFormat];
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", spec.stdout, "pipe"],
    });
    const child = this.child;
    this.exited = new Promise((resolve) => {
      // "close", not "exit": it comes once stderr is drained, after the last log line.
      child.on("close", (code) => resolve(code));
      // A process that could not be spawned never exits; it counts as gone.
      child.on("error", () => resolve(null));
    });
    let markServing: (addresses: ServingAddresses) => void = () => {};
    this.serving = new Promise<ServingAddresses>((resolve, reject) => {
      markServing = resolve;
      this.exited.then((code) =>
        reject(new ConfigError(`node ${spec.id} exited with ${code} before serving`)),
      );
    });
    // Callers that never wait for `serving` must not see an unhandled rejection.
    this.serving.catch(() => undefined);
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on("line", (line) => {
        spec.onLogLine(line);
        const addresses = servingLine(line);
        if (addresses !== undefined) markServing(addresses);
      });
    }
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new ConfigError(`node ${this.id} has no process id (spawn failed)`);
    return pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to this node's PID if it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // It exited between the check and the signal.
    }
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it has not exited after `graceMs`; resolves once it is gone. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.child.pid === undefined) return null;
    this.signal("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === "late") this.signal("SIGKILL");
    return this.exited;
  }
}

function servingLine(line: string): ServingAddresses | undefined {
  if (!line.includes('"node serving"')) return undefined;
  try {
    const record = JSON.parse(line) as { msg?: unknown; http?: unknown; listen?: unknown };
    if (record.msg !== "node serving" || typeof record.http !== "string" || typeof record.listen !== "string")
      return undefined;
    return { http: record.http, listen: record.listen };
  } catch {
    return undefined;
  }
}

/** Stops every node (in parallel) and resolves once all have exited. */
export async function stopLocalNodes(nodes: readonly LocalNode[], graceMs: number): Promise<void> {
  await Promise.all(nodes.map((node) => node.stop(graceMs)));
}
