import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import {
  type LocalAccess,
  LocalNode,
  placementFlags,
  stopLocalNodes,
  waitHealthy,
  waitMembers,
} from "../local/index.js";
import { makeClusterCerts } from "../security/index.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const devSpec = {
  name: "dev",
  summary: "Run a local cluster of real node processes on 127.0.0.1 in one command (Ctrl-C stops them all).",
  usage:
    "ringkv dev [--nodes 3] [--base-port 7001] [--data-dir ./data/dev | --temp] [--n 3] [--partitions 256] [--nodes-per-host K] [--secure]",
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
    {
      name: "secure",
      type: "boolean",
      description: "everything on: mutual TLS between nodes, HTTPS, --auth required (prints the admin token)",
    },
    { name: "n", type: "integer", description: "replicas per key (default min(3, nodes))" },
    { name: "partitions", type: "integer", description: "partitions Q (default 256)" },
    {
      name: "nodes-per-host",
      type: "integer",
      description:
        "lay the nodes out as hosts of K nodes each, one zone per host (host1, host2, ...), as a machine with K cores runs K nodes",
    },
    { name: "log-level", type: "string", default: "info", description: "the nodes' log level" },
  ],
} as const satisfies CommandSpec;

/** A node gets this long to shut down cleanly on Ctrl-C before it is killed. */
const STOP_GRACE_MS = 15_000;

/** Starts the nodes, waits until every one serves and sees every other, and runs until a signal. */
export async function runDev(flags: ParsedFlags<typeof devSpec>, out: Output): Promise<number> {
  const count = flags.get("nodes");
  if (count < 1 || count > 16) throw new ConfigError(`--nodes must be in 1..16, got ${count}`);
  const basePort = flags.get("base-port");
  if (basePort < 1024 || basePort + 1000 + count > 65535)
    throw new ConfigError(`--base-port ${basePort} leaves no room for ${count} nodes`);
  const temp = flags.get("temp");
  const dataRoot = temp ? mkdtempSync(join(tmpdir(), "ringkv-dev-")) : flags.get("data-dir");
  const n = flags.get("n") ?? Math.min(3, count);
  const perHost = flags.get("nodes-per-host");
  if (perHost !== undefined && (perHost < 1 || perHost > count))
    throw new ConfigError(`--nodes-per-host must be in 1..${count} (--nodes), got ${perHost}`);
  const zoneOf = (i: number): string | undefined =>
    perHost === undefined ? undefined : `host${Math.floor(i / perHost) + 1}`;
  const partitions = flags.get("partitions");
  const logLevel = flags.get("log-level");
  const secure = flags.get("secure") ? secureSetup(dataRoot, count) : undefined;
  const access: LocalAccess =
    secure === undefined
      ? { scheme: "http" }
      : { scheme: "https", token: secure.token, ca: readFileSync(secure.ca) };
  const nodes: { node: LocalNode; listen: string; http: string }[] = [];
  const firstListen = `127.0.0.1:${basePort}`;
  for (let i = 0; i < count; i++) {
    const id = `n${i + 1}`;
    const listen = `127.0.0.1:${basePort + i}`;
    const http = `127.0.0.1:${basePort + 1000 + i}`;
    const args = ["--n", String(n), "--log-level", logLevel];
    if (partitions !== undefined) args.push("--partitions", String(partitions));
    const zone = zoneOf(i);
    if (zone !== undefined) args.push("--zone", zone);
    if (secure !== undefined) args.push(...secure.flags(id));
    const node = new LocalNode({
      id,
      args: [
        ...placementFlags({
          id,
          listen,
          http,
          dataDir: join(dataRoot, id),
          // The first node forms the cluster; the others join it through it.
          seeds: i > 0 ? [firstListen] : [],
        }),
        ...args,
      ],
      logFormat: out.stdoutIsTTY ? "pretty" : "json",
      stdout: "inherit",
      onLogLine: (line) => out.stderr(`[${id}] ${line}\n`),
    });
    nodes.push({ node, listen, http });
    if (i === 0) await waitHealthy(http, node.exited, 30_000, access);
  }
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    await stopLocalNodes(
      nodes.map((entry) => entry.node),
      STOP_GRACE_MS,
    );
    if (temp) rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((entry) => waitHealthy(entry.http, entry.node.exited, 60_000, access)));
    await waitMembers(
      nodes.map((entry) => entry.http),
      count,
      60_000,
      access,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  const scheme = access.scheme;
  if (perHost !== undefined) {
    const hosts = Math.ceil(count / perHost);
    out.stdout(
      `\n${hosts} host(s) of up to ${perHost} node(s), one zone each: ${
        hosts >= n
          ? `every key's ${n} replicas are on ${n} different hosts, so a whole host down loses no key`
          : `fewer hosts than N=${n}, so some keys have two replicas on one host`
      }\n`,
    );
  }
  out.stdout(
    `\nringkv dev cluster: ${count} node(s), N=${n}, data in ${dataRoot}${temp ? " (temporary)" : ""}${secure === undefined ? "" : ", secure (mutual TLS, HTTPS, --auth required)"}\n`,
  );
  for (const [i, { node, http, listen }] of nodes.entries()) {
    const zone = zoneOf(i);
    out.stdout(
      `  ${node.id}  ${scheme}://${http}  (inter-node ${listen}${zone === undefined ? "" : `, zone ${zone}`})\n`,
    );
  }
  const first = nodes[0]?.http;
  const last = nodes[nodes.length - 1]?.http;
  if (secure === undefined) {
    out.stdout(
      `\nTry:\n  curl -X PUT --data-binary 'hello' http://${first}/kv/greeting\n  curl -i http://${last}/kv/greeting\n`,
    );
    out.stdout(
      `  curl http://${first}/cluster/members\n  npx ringkv status --node http://${first}\n\nCtrl-C stops the cluster.\n`,
    );
  } else {
    const auth = `-H "Authorization: Bearer ${secure.token}"`;
    out.stdout(
      `\nadmin token: ${secure.token}\n  (in ${secure.tokenFile}; certificates and CA in ${secure.dir})\n`,
    );
    out.stdout(
      `\nTry:\n  curl --cacert ${secure.ca} ${auth} -X PUT --data-binary 'hello' https://${first}/kv/greeting\n` +
        `  curl --cacert ${secure.ca} ${auth} -i https://${last}/kv/greeting\n` +
        `  curl --cacert ${secure.ca} -i https://${first}/kv/greeting   # 401 without a token\n` +
        `  RINGKV_TOKEN=${secure.token} RINGKV_CA=${secure.ca} npx ringkv status --node https://${first}\n` +
        `  RINGKV_TOKEN=${secure.token} RINGKV_CA=${secure.ca} npx ringkv token create app1 --role readwrite --node https://${first}\n` +
        "\nCtrl-C stops the cluster.\n",
    );
  }
  return new Promise<number>((resolve) => {
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      out.stdout("\nstopping the cluster...\n");
      stopAll().then(() => resolve(0));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    for (const { node } of nodes) {
      node.exited.then((code) => {
        if (!stopping)
          out.stderr(`ringkv dev: node ${node.id} exited with ${code}; the others keep running\n`);
      });
    }
  });
}

interface SecureSetup {
  dir: string;
  ca: string;
  token: string;
  tokenFile: string;
  flags(id: string): string[];
}

/**
 * Certificates for n1..n<count> (made once, reused on the next run with the same data dir) and
 * an admin token (likewise), for `ringkv dev --secure`.
 */
function secureSetup(dataRoot: string, count: number): SecureSetup {
  const dir = join(dataRoot, "certs");
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const result = makeClusterCerts({
    dir,
    nodes: ids,
    clients: [],
    hosts: ["localhost", "127.0.0.1"],
    days: 825,
    force: false,
  });
  const tokenFile = join(dataRoot, "admin-token");
  mkdirSync(dataRoot, { recursive: true });
  if (!existsSync(tokenFile))
    writeFileSync(tokenFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  const token = (readFileSync(tokenFile, "utf8").split("\n")[0] ?? "").trim();
  return {
    dir,
    ca: result.ca,
    token,
    tokenFile,
    flags: (id) => {
      const cert = join(dir, `${id}.pem`);
      const key = join(dir, `${id}-key.pem`);
      return [
        "--peer-tls-cert",
        cert,
        "--peer-tls-key",
        key,
        "--peer-tls-ca",
        result.ca,
        "--http-tls-cert",
        cert,
        "--http-tls-key",
        key,
        "--auth",
        "required",
        "--admin-token-file",
        tokenFile,
      ];
    },
  };
}
