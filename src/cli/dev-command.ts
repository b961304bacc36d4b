import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ConfigError } from "../errors.js";
import { type CommandSpec, integerFlag, type ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const devSpec: CommandSpec = {
  name: "dev",
  summary: "Run a local cluster of real node processes on 127.0.0.1 in one command (Ctrl-C stops them all).",
  usage:
    "ringkv dev [--nodes 3] [--base-port 7001] [--data-dir ./data/dev | --temp] [--n 3] [--partitions 256]",
  positionals: [0, 0],
  flags: [
    { name: "nodes", type: "integer", default: "3", description: "how many nodes (1..16)" },
    {
      name: "base-port",
      type: "integer",
      default: "7001",
      description: "node i listens on base+i-1 (inter-node) and base+1000+i-1 (HTTP)",
    },
    {
      name: "data-dir",
      type: "string",
      default: "./data/dev",
      description: "parent directory of the nodes' data directories",
    },
    { name: "temp", type: "boolean", description: "keep data in a temporary directory, removed on exit" },
    { name: "n", type: "integer", description: "replicas per key (default min(3, nodes))" },
    { name: "partitions", type: "integer", description: "partitions Q (default 256)" },
    { name: "log-level", type: "string", default: "info", description: "the nodes' log level" },
  ],
};

interface DevNode {
  id: string;
  listen: string;
  http: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts the nodes, waits until every one serves and sees every other, and runs until a signal. */
export async function runDev(flags: ParsedFlags, out: Output): Promise<number> {
  const count = integerFlag(flags, "nodes") ?? 3;
  if (count < 1 || count > 16) throw new ConfigError(`--nodes must be in 1..16, got ${count}`);
  const basePort = integerFlag(flags, "base-port") ?? 7001;
  if (basePort < 1024 || basePort + 1000 + count > 65535)
    throw new ConfigError(`--base-port ${basePort} leaves no room for ${count} nodes`);
  const temp = flags.booleans.has("temp");
  const dataRoot = temp
    ? mkdtempSync(join(tmpdir(), "ringkv-dev-"))
    : (flags.strings.get("data-dir") ?? "./data/dev");
  const n = integerFlag(flags, "n") ?? Math.min(3, count);
  const partitions = integerFlag(flags, "partitions");
  const logLevel = flags.strings.get("log-level") ?? "info";
  const nodes: DevNode[] = [];
  const firstListen = `127.0.0.1:${basePort}`;
  for (let i = 0; i < count; i++) {
    const id = `n${i + 1}`;
    const listen = `127.0.0.1:${basePort + i}`;
    const http = `127.0.0.1:${basePort + 1000 + i}`;
    const args = [
      "start",
      "--id",
      id,
      "--listen",
      listen,
      "--http",
      http,
      "--data-dir",
      join(dataRoot, id),
      "--n",
      String(n),
    ];
    if (i > 0) args.push("--seeds", firstListen);
    if (partitions !== undefined) args.push("--partitions", String(partitions));
    args.push("--log-level", logLevel, "--log-format", out.stdoutIsTTY ? "pretty" : "json");
    const child = spawn(process.execPath, [process.argv[1] ?? "", ...args], {
      stdio: ["ignore", "inherit", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    if (child.stderr) {
      createInterface({ input: child.stderr }).on("line", (line) => out.stderr(`[${id}] ${line}\n`));
    }
    nodes.push({ id, listen, http, child, exited });
    // The first node forms the cluster; the others join it through it.
    if (i === 0) await waitHealthy(http, exited, 30_000);
  }
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    for (const node of nodes)
      if (node.child.exitCode === null && node.child.pid !== undefined)
        process.kill(node.child.pid, "SIGTERM");
    await Promise.all(nodes.map((node) => node.exited));
    if (temp) rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((node) => waitHealthy(node.http, node.exited, 60_000)));
    await waitMembers(nodes[0]?.http ?? "", count, 60_000);
  } catch (error) {
    await stopAll();
    throw error;
  }
  out.stdout(
    `\nringkv dev cluster: ${count} node(s), N=${n}, data in ${dataRoot}${temp ? " (temporary)" : ""}\n`,
  );
  for (const node of nodes) out.stdout(`  ${node.id}  http://${node.http}  (inter-node ${node.listen})\n`);
  const first = nodes[0]?.http;
  const last = nodes[nodes.length - 1]?.http;
  out.stdout(
    `\nTry:\n  curl -X PUT --data-binary 'hello' http://${first}/kv/greeting\n  curl -i http://${last}/kv/greeting\n`,
  );
  out.stdout(
    `  curl http://${first}/cluster/members\n  npx ringkv status --node http://${first}\n\nCtrl-C stops the cluster.\n`,
  );
  return new Promise<number>((resolve) => {
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      out.stdout("\nstopping the cluster...\n");
      stopAll().then(() => resolve(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    for (const node of nodes) {
      node.exited.then((code) => {
        if (!stopping)
          out.stderr(`ringkv dev: node ${node.id} exited with ${code}; the others keep running\n`);
      });
    }
  });
}

async function waitHealthy(http: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
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

async function waitMembers(http: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${http}/cluster/members`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { members: { state: string; status: string }[] };
      if (body.members.filter((m) => m.state === "active" && m.status === "up").length === count) return;
    } catch {
      // Retry.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new ConfigError(`the cluster did not reach ${count} active members within ${timeoutMs} ms`);
}
