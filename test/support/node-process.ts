import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The package's command, run exactly as `npx ringkv` runs it. */
export const RINGKV_BIN = fileURLToPath(new URL("../../../bin/ringkv.js", import.meta.url));

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
 * A `ringkv start` process. It binds its HTTP port itself (port 0) and the harness learns the
 * address from its "node serving" log line, so parallel tests never race for a port.
 */
export class NodeProcess {
  readonly child: ChildProcess;
  private log = "";
  private readonly exited: Promise<number | null>;
  private servingUrl: Promise<string>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [RINGKV_BIN, "start", "--log-format", "json", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    this.servingUrl = new Promise((resolve, reject) => {
      this.child.stderr?.on("data", (chunk: Buffer) => {
        this.log += chunk.toString();
        const match = /"http":"([^"]+)"[^\n]*"msg":"node serving"/.exec(this.log);
        if (match) resolve(`http://${match[1]}`);
      });
      this.exited.then((code) => reject(new Error(`node exited with ${code} before serving:\n${this.log}`)));
      // The harness needs the "node serving" line (log level info or lower); never wait forever for it.
      setTimeout(
        () => reject(new Error(`node did not log "node serving" within 60 s:\n${this.log}`)),
        60_000,
      ).unref();
    });
    this.servingUrl.catch(() => undefined);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("node process has no pid");
    return pid;
  }

  get logs(): string {
    return this.log;
  }

  /** Resolves with the node's HTTP base URL once it serves. */
  url(): Promise<string> {
    return this.servingUrl;
  }

  /** Sends a signal by PID and waits for the exit code. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal);
    return this.exited;
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Kills the process if it still runs (cleanup in after()). */
  async ensureStopped(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, "SIGKILL");
      await this.exited;
    }
  }
}
