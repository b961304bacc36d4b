import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { LocalNode, RINGKV_SCRIPT, type ServingAddresses } from "../../src/local/index.js";

/** The package's command, run exactly as `npx ringkv` runs it. */
export const RINGKV_BIN = RINGKV_SCRIPT;

/** A node that has not logged "node serving" by then is stuck; the test fails instead of hanging. */
const SERVING_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived CLI command to completion. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): CliResult {
  const result = spawnSync(process.execPath, [RINGKV_BIN, ...args], {
    env: { ...process.env, ...options.env },
    input: options.input,
    timeout: options.timeoutMs ?? 30_000,
  });
  return { code: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** Runs a CLI command without blocking the event loop (needed while a node runs in this process). */
export function runCliAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RINGKV_BIN, ...args], { env: { ...process.env, ...options.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(options.input);
  });
}

/**
 * A `ringkv start` process (a LocalNode with JSON logs) that keeps its whole log for assertions
 * and failure reports. It binds its HTTP port itself (port 0) and the harness learns the address
 * from its "node serving" log line, so parallel tests never race for a port.
 */
export class NodeProcess {
  private readonly node: LocalNode;
  private log = "";
  private readonly addresses: Promise<ServingAddresses>;

  /** `args` are `ringkv start` flags (see `placementFlags`); `env` adds RINGKV_* variables. */
  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const idAt = args.indexOf("--id");
    this.node = new LocalNode({
      id: (idAt >= 0 ? args[idAt + 1] : undefined) ?? env.RINGKV_ID ?? "node",
      args,
      env,
      logFormat: "json",
      stdout: "ignore",
      onLogLine: (line) => {
        this.log += `${line}\n`;
      },
    });
    this.addresses = new Promise((resolve, reject) => {
      this.node.serving.then(resolve, () =>
        this.node.exited.then((code) =>
          reject(new Error(`node exited with ${code} before serving:\n${this.log}`)),
        ),
      );
      // The harness needs the "node serving" line (log level info or lower); never wait forever for it.
      setTimeout(
        () => reject(new Error(`node did not log "node serving" within 60 s:\n${this.log}`)),
        SERVING_TIMEOUT_MS,
      ).unref();
    });
    this.addresses.catch(() => undefined);
  }

  get child(): ChildProcess {
    return this.node.child;
  }

  get pid(): number {
    return this.node.pid;
  }

  get logs(): string {
    return this.log;
  }

  /** Resolves with the addresses the node bound (its advertised ones, if it has any). */
  serving(): Promise<ServingAddresses> {
    return this.addresses;
  }

  /** Resolves with the node's HTTP base URL once it serves. */
  async url(): Promise<string> {
    return `http://${(await this.addresses).http}`;
  }

  /** Sends a signal by PID and waits for the exit code. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    this.node.signal(signal);
    return this.node.exited;
  }

  exitCode(): Promise<number | null> {
    return this.node.exited;
  }

  /** Kills the process if it still runs (cleanup in after()). */
  async ensureStopped(): Promise<void> {
    this.node.signal("SIGKILL");
    await this.node.exited;
  }
}
