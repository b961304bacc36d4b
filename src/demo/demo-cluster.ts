import { join } from "node:path";
import type { MemberInfo, RingInfo } from "../api/interface.js";
import { NodeHttpClient } from "../client/http-client.js";
import { pollUntil } from "../clock/poll.js";
import { ConfigError } from "../errors.js";
import { LocalNode, placementFlags } from "../local/index.js";

export interface DemoClusterOptions {
  /** Parent of the nodes' data directories (a temporary directory the caller removes). */
  root: string;
  n: number;
  partitions: number;
  /** Bounds every wait for a node to start. */
  startTimeoutMs: number;
  /** Called once per process started, with its PID (the demo prints it). */
  onStarted(id: string, pid: number, http: string): void;
  /** Every log line of every node, for --verbose. */
  onLogLine(id: string, line: string): void;
}

/** One node of the demo cluster: fixed after its first start, so a restart reuses its addresses and data. */
export interface DemoNode {
  id: string;
  dataDir: string;
  listen: string;
  http: string;
  process: LocalNode;
  client: NodeHttpClient;
}

/** Lines of each node's log kept for a failure report; older lines are dropped. */
const LOG_TAIL_LINES_MAX = 200;

/**
 * The demo's own cluster of `ringkv start` processes on 127.0.0.1. Every process it ever
 * started is remembered, so `stopAll` stops each one by PID, restarted and departed ones included.
 */
export class DemoCluster {
  private readonly nodes = new Map<string, DemoNode>();
  private readonly processes: LocalNode[] = [];
  private readonly tails = new Map<string, string[]>();

  constructor(private readonly options: DemoClusterOptions) {}

  node(id: string): DemoNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new ConfigError(`the demo has no node ${id}`);
    return node;
  }

  /** Ids of the nodes started so far, n1 first (nodes that start together register in any order). */
  ids(): string[] {
    return [...this.nodes.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  }

  /** Ids of every node that logged anything, including one that never came up. */
  loggedIds(): string[] {
    return [...this.tails.keys()].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  }

  /** Nodes whose process runs now. */
  running(): DemoNode[] {
    return this.ids()
      .map((id) => this.node(id))
      .filter((node) => node.process.running);
  }

  client(id: string): NodeHttpClient {
    return this.node(id).client;
  }

  /** PIDs of every process started so far. */
  pids(): number[] {
    return this.processes.flatMap((p) => (p.child.pid === undefined ? [] : [p.child.pid]));
  }

  /**
   * Starts a new node that joins through `seeds` (none: it forms the cluster) on free ports,
   * and resolves once it serves.
   */
  async add(id: string, seeds: readonly string[]): Promise<DemoNode> {
    if (this.nodes.has(id)) throw new ConfigError(`node ${id} already exists`);
    const dataDir = join(this.options.root, id);
    const process = this.spawn(id, "127.0.0.1:0", "127.0.0.1:0", dataDir, seeds);
    const addresses = await this.serving(process);
    const node: DemoNode = {
      id,
      dataDir,
      listen: addresses.listen,
      http: addresses.http,
      process,
      client: new NodeHttpClient(`http://${addresses.http}`, { requestTimeoutMs: 10_000 }),
    };
    this.nodes.set(id, node);
    this.options.onStarted(id, process.pid, addresses.http);
    return node;
  }

  /** Starts a stopped node again with the same id, addresses and data directory. */
  async restart(id: string): Promise<DemoNode> {
    const node = this.node(id);
    if (node.process.running) throw new ConfigError(`node ${id} is still running`);
    node.process = this.spawn(id, node.listen, node.http, node.dataDir, []);
    await this.serving(node.process);
    this.options.onStarted(id, node.process.pid, node.http);
    return node;
  }

  /** Sends `signal` to the node's PID and waits for the process to end. */
  async kill(id: string, signal: NodeJS.Signals): Promise<number | null> {
    const node = this.node(id);
    node.process.signal(signal);
    return node.process.exited;
  }

  async members(via: string): Promise<MemberInfo[]> {
    return (await this.client(via).getJson<{ members: MemberInfo[] }>("/cluster/members")).members;
  }

  async ring(via: string): Promise<RingInfo> {
    return this.client(via).getJson<RingInfo>("/cluster/ring");
  }

  /**
   * Waits until every running node sees exactly the running nodes as active and up, and all
   * agree on one ring version; resolves with that version, or undefined on timeout.
   */
  async waitConverged(timeoutMs: number): Promise<number | undefined> {
    return pollUntil(
      async () => {
        const running = this.running();
        const ids = new Set(running.map((n) => n.id));
        const versions = new Set<number>();
        for (const node of running) {
          const members = (await this.members(node.id)).filter((m) => m.state !== "left");
          const settled =
            members.length === ids.size &&
            members.every((m) => ids.has(m.id) && m.state === "active" && m.status === "up");
          if (!settled) return undefined;
          versions.add((await this.ring(node.id)).version);
        }
        return versions.size === 1 ? [...versions][0] : undefined;
      },
      { timeoutMs },
    );
  }

  /** The last `lines` log lines of a node (every process it ran), for a failure report. */
  logTail(id: string, lines: number): string[] {
    return (this.tails.get(id) ?? []).slice(-lines);
  }

  /** Stops every process this cluster started (SIGTERM, then SIGKILL after `graceMs`) and closes the clients. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(graceMs)));
    for (const node of this.nodes.values()) node.client.close();
  }

  private spawn(
    id: string,
    listen: string,
    http: string,
    dataDir: string,
    seeds: readonly string[],
  ): LocalNode {
    const process = new LocalNode({
      id,
      args: [
        ...placementFlags({ id, listen, http, dataDir, seeds }),
        "--n",
        String(this.options.n),
        "--partitions",
        String(this.options.partitions),
        "--log-level",
        "info",
      ],
      logFormat: "json",
      stdout: "ignore",
      onLogLine: (line) => {
        const tail = this.tails.get(id) ?? [];
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES_MAX) tail.splice(0, tail.length - LOG_TAIL_LINES_MAX);
        this.tails.set(id, tail);
        this.options.onLogLine(id, line);
      },
    });
    this.processes.push(process);
    return process;
  }

  private async serving(process: LocalNode): Promise<{ http: string; listen: string }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConfigError(`node ${process.id} did not serve within ${this.options.startTimeoutMs} ms`),
          ),
        this.options.startTimeoutMs,
      );
    });
    try {
      return await Promise.race([process.serving, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
