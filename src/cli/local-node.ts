import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors.js";

/**
 * A `ringkv start` child process on this machine: what `ringkv dev` and `ringkv demo` run. The
 * node is stopped by its PID only, never by name, so nothing else on the machine is touched.
 */
export interface LocalNodeSpec {
  id: string;
  /** Inter-node and client addresses (`host:port`; port 0 lets the node pick a free port). */
  listen: string;
  http: string;
  dataDir: string;
  /** Inter-node addresses of existing members; empty for the node that forms the cluster. */
  seeds: readonly string[];
  /** Further `ringkv start` flags (`--n 3`, `--partitions 64`, `--log-level info`, ...). */
  args: readonly string[];
  /** `json` lets `serving` learn the bound addresses from the node's "node serving" line. */
  logFormat: "json" | "pretty";
  /** The node's stdout: shown (`inherit`) or dropped. Nodes log to stderr; stdout stays quiet. */
  stdout: "inherit" | "ignore";
  /** Called with every line the node logs (its stderr). */
  onLogLine(line: string): void;
}

/** The addresses a node bound, from its "node serving" log line. */
export interface ServingAddresses {
  http: string;
  listen: string;
}

/** The package's own command, next to the compiled CLI (dist/src/cli -> bin/ringkv.js). */
export const RINGKV_SCRIPT = fileURLToPath(new URL("../../../bin/ringkv.js", import.meta.url));

export class LocalNode {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended the process). */
  readonly exited: Promise<number | null>;
  /** Resolves once the node logs "node serving" (json logs only); rejects if it exits first. */
  readonly serving: Promise<ServingAddresses>;

  constructor(spec: LocalNodeSpec, script: string = RINGKV_SCRIPT) {
    this.id = spec.id;
    const args = [
      script,
      "start",
      "--id",
      spec.id,
      "--listen",
      spec.listen,
      "--http",
      spec.http,
      "--data-dir",
      spec.dataDir,
      ...(spec.seeds.length > 0 ? ["--seeds", spec.seeds.join(",")] : []),
      ...spec.args,
      "--log-format",
      spec.logFormat,
    ];
    this.child = spawn(process.execPath, args, { stdio: ["ignore", spec.stdout, "pipe"] });
    const child = this.child;
    this.exited = new Promise((resolve) => {
      child.on("exit", (code) => resolve(code));
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

/** Polls GET /health until it answers 200; fails if the process exits first or the time runs out. */
export async function waitHealthy(
  http: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let dead: number | null | undefined;
  exited.then((code) => {
    dead = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead !== undefined)
      throw new ConfigError(`node at ${http} exited with ${dead} while starting (see its log above)`);
    try {
      const res = await fetch(`http://${http}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ConfigError(`node at ${http} did not become healthy within ${timeoutMs} ms`);
}

/**
 * Polls GET /cluster/members on every node until each one sees `count` members active and up.
 * Asking only one node is not enough: another may not have heard of the last joiner yet, and a
 * request it coordinates would then count that replica as down.
 */
export async function waitMembers(https: readonly string[], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seesAll = async (http: string): Promise<boolean> => {
    try {
      const res = await fetch(`http://${http}/cluster/members`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { members: { state: string; status: string }[] };
      return body.members.filter((m) => m.state === "active" && m.status === "up").length === count;
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline) {
    if ((await Promise.all(https.map(seesAll))).every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new ConfigError(`the cluster did not reach ${count} active members within ${timeoutMs} ms`);
}
