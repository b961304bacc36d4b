import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { placementFlags } from "../../src/local/index.js";
import { NodeProcess } from "./node-process.js";

export interface ClusterNode {
  id: string;
  dataDir: string;
  /** Inter-node and HTTP addresses, fixed after the first start so restarts keep them. */
  listen: string;
  http: string;
  url: string;
  process: NodeProcess | undefined;
}

export interface ClusterOptions {
  nodes: number;
  n?: number;
  r?: number;
  w?: number;
  partitions?: number;
  extraArgs?: string[];
  /** Flags for one node only (e.g. its --zone), after extraArgs. */
  nodeArgs?: (id: string) => string[];
}

interface MembersBody {
  members: { id: string; state: string; status: string }[];
}

/**
 * A cluster of real `ringkv start` processes on 127.0.0.1 with temp data dirs. Every process is
 * stopped by PID and every directory removed in `destroy()`, which tests call in `after()`.
 * `logs()` returns every node's log, for printing when a test fails.
 */
export class TestCluster {
  readonly nodes: ClusterNode[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), "ringkv-cluster-"));
  private readonly all: NodeProcess[] = [];
  /** Ids taken out of the cluster for good (`forget`): members that may still be listed as left. */
  private readonly removed = new Set<string>();

  constructor(private readonly options: ClusterOptions) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.nodes; i++) {
      const id = `n${i + 1}`;
      const node: ClusterNode = {
        id,
        dataDir: join(this.root, id),
        listen: "127.0.0.1:0",
        http: "127.0.0.1:0",
        url: "",
        process: undefined,
      };
      this.nodes.push(node);
      await this.launch(node);
    }
    await this.waitConverged();
  }

  /** Starts one more node that joins through the first node; resolves once it serves. */
  async addNode(id: string): Promise<ClusterNode> {
    const node: ClusterNode = {
      id,
      dataDir: join(this.root, id),
      listen: "127.0.0.1:0",
      http: "127.0.0.1:0",
      url: "",
      process: undefined,
    };
    this.nodes.push(node);
    await this.launch(node);
    return node;
  }

  /**
   * Takes a node out of `nodes` for good, once the cluster removed it: it is no longer launched,
   * restarted or waited for. Its process (already killed) is still stopped in `destroy()`.
   */
  forget(id: string): void {
    const at = this.nodes.findIndex((n) => n.id === id);
    if (at < 0) throw new Error(`no node ${id}`);
    if (at === 0) throw new Error("the first node seeds every launch and cannot be forgotten");
    this.nodes.splice(at, 1);
    this.removed.add(id);
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts (or restarts) a node process with its fixed addresses and data dir; resolves once it serves. */
  async launch(node: ClusterNode): Promise<void> {
    const first = this.nodes[0];
    const seeds =
      first !== undefined && first !== node && first.listen !== "127.0.0.1:0" ? [first.listen] : [];
    const args = [...placementFlags({ ...node, seeds }), "--log-level", "info"];
    const o = this.options;
    if (o.n !== undefined) args.push("--n", String(o.n));
    if (o.r !== undefined) args.push("--r", String(o.r));
    if (o.w !== undefined) args.push("--w", String(o.w));
    if (o.partitions !== undefined) args.push("--partitions", String(o.partitions));
    args.push(...(o.extraArgs ?? []));
    args.push(...(o.nodeArgs?.(node.id) ?? []));
    const p = new NodeProcess(args);
    this.all.push(p);
    node.process = p;
    const serving = await p.serving();
    node.url = `http://${serving.http}`;
    node.http = serving.http;
    node.listen = serving.listen;
  }

  async kill(id: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.node(id).process;
    if (p !== undefined) await p.kill(signal);
  }

  pause(id: string): void {
    const p = this.node(id).process;
    if (p !== undefined) process.kill(p.pid, "SIGSTOP");
  }

  resume(id: string): void {
    const p = this.node(id).process;
    if (p !== undefined) process.kill(p.pid, "SIGCONT");
  }

  async restart(id: string): Promise<void> {
    await this.launch(this.node(id));
  }

  /** Waits until every running node sees every node active and up, and all agree on the ring. */
  async waitConverged(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      "cluster convergence",
      async () => {
        const versions = new Set<string>();
        for (const node of this.nodes) {
          const members = (await getJson<MembersBody>(`${node.url}/cluster/members`)).members.filter(
            (m) => !(this.removed.has(m.id) && m.state === "left"),
          );
          const ok =
            members.length === this.nodes.length &&
            members.every((m) => m.state === "active" && m.status === "up");
          if (!ok) return false;
          versions.add(
            JSON.stringify((await getJson<{ owners: string[][] }>(`${node.url}/cluster/ring`)).owners),
          );
        }
        return versions.size === 1;
      },
      timeoutMs,
    );
  }

  logs(): string {
    return this.nodes.map((n) => `===== ${n.id} =====\n${n.process?.logs ?? ""}`).join("\n");
  }

  async destroy(): Promise<void> {
    for (const p of this.all) {
      try {
        process.kill(p.pid, "SIGCONT");
      } catch {
        // Already gone.
      }
      await p.ensureStopped();
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return (await res.json()) as T;
}

export interface ClusterSuite {
  cluster: TestCluster;
  /** Runs a test body; if it throws, every node's log is printed when the suite ends. */
  track(fn: () => Promise<void>): Promise<void>;
  /** A node's HTTP base URL. */
  url(id: string): string;
}

/**
 * Registers before/after hooks that start a cluster and always destroy it (processes by PID,
 * temp dirs), printing the nodes' logs if any tracked test failed. Call inside `describe`.
 */
export function useCluster(
  options: ClusterOptions,
  hooks: { afterStart?: () => void; beforeDestroy?: () => Promise<void> } = {},
): ClusterSuite {
  const cluster = new TestCluster(options);
  let failed = false;
  before(async () => {
    await cluster.start();
    hooks.afterStart?.();
  });
  after(async () => {
    await hooks.beforeDestroy?.().catch(() => undefined);
    if (failed) process.stderr.write(`${cluster.logs()}\n`);
    await cluster.destroy();
  });
  return {
    cluster,
    async track(fn) {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    },
    url: (id) => cluster.node(id).url,
  };
}

/** Waits until `observer` sees node `id` with the given failure-detector status. */
export function waitStatus(
  url: string,
  id: string,
  status: "up" | "suspect" | "down",
  timeoutMs = 15_000,
): Promise<void> {
  return waitFor(
    `${url} to see ${id} ${status}`,
    async () => {
      const body = await getJson<{ members: { id: string; status: string }[] }>(`${url}/cluster/members`);
      return body.members.find((m) => m.id === id)?.status === status;
    },
    timeoutMs,
  );
}
