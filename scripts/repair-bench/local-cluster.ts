import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../bench-compare/free-port.js";
import type { ProcessGroup, Tracked } from "../bench-compare/process-group.js";
import { httpJson, waitUntil } from "../bench-compare/wait-until.js";

interface MembersBody {
  members: { id: string; state: string; status: string; load: { keys: number; hints: number } }[];
}

interface NodeSpec {
  id: string;
  listen: string;
  http: string;
  dataDir: string;
  process: Tracked | undefined;
}

/**
 * A cluster of `ringkv start` processes on 127.0.0.1 for measurements: nodes can be killed
 * (SIGKILL), wiped and restarted with the same flags. Every process is in `group`, stopped by PID.
 */
export class LocalCluster {
  readonly nodes: NodeSpec[] = [];

  constructor(
    private readonly group: ProcessGroup,
    private readonly root: string,
    private readonly bin: string,
    private readonly extraArgs: readonly string[],
  ) {}

  async start(count: number): Promise<void> {
    mkdirSync(this.root, { recursive: true });
    for (let i = 1; i <= count; i++) {
      this.nodes.push({
        id: `n${i}`,
        listen: `127.0.0.1:${await freePort()}`,
        http: `127.0.0.1:${await freePort()}`,
        dataDir: join(this.root, `n${i}`),
        process: undefined,
      });
    }
    for (const node of this.nodes) await this.launch(node.id);
    await waitUntil(
      `the ${count}-node cluster to converge`,
      async () => {
        for (const node of this.nodes) {
          const { members } = await httpJson<MembersBody>(`${this.url(node.id)}/cluster/members`);
          if (members.length !== count || !members.every((m) => m.state === "active" && m.status === "up"))
            return false;
        }
        return true;
      },
      this.running(),
      120_000,
    );
  }

  /** Adds one node that joins through the first; resolves once it serves. */
  async add(id: string): Promise<void> {
    this.nodes.push({
      id,
      listen: `127.0.0.1:${await freePort()}`,
      http: `127.0.0.1:${await freePort()}`,
      dataDir: join(this.root, id),
      process: undefined,
    });
    await this.launch(id);
  }

  url(id: string): string {
    return `http://${this.node(id).http}`;
  }

  pid(id: string): number {
    const p = this.node(id).process;
    if (p === undefined) throw new Error(`${id} is not running`);
    return p.pid;
  }

  /** Starts (or restarts) a node with its fixed flags; resolves once /health answers. */
  async launch(id: string): Promise<void> {
    const node = this.node(id);
    const first = this.nodes[0] as NodeSpec;
    const args = [
      "start",
      "--id",
      id,
      "--listen",
      node.listen,
      "--http",
      node.http,
      "--data-dir",
      node.dataDir,
    ];
    if (node !== first) args.push("--seeds", first.listen);
    args.push("--log-format", "json", ...this.extraArgs);
    node.process = this.group.spawn(
      `ringkv ${id}`,
      process.execPath,
      [this.bin, ...args],
      join(this.root, `${id}.log`),
    );
    await waitUntil(
      `${id} to serve`,
      async () => (await httpJson<{ status: string }>(`${this.url(id)}/health`)).status === "ok",
      [node.process],
      60_000,
      50,
    );
  }

  async kill(id: string): Promise<void> {
    const node = this.node(id);
    if (node.process === undefined) return;
    process.kill(node.process.pid, "SIGKILL");
    await node.process.exited;
    node.process = undefined;
  }

  wipe(id: string): void {
    rmSync(this.node(id).dataDir, { recursive: true, force: true });
  }

  /** The keys a node stores, read live from its storage engine (`ringkv_storage_entries`): no read of the data. */
  async keysOn(id: string): Promise<number> {
    const text = await (await fetch(`${this.url(id)}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const match = /ringkv_storage_entries\{[^}]*store="objects"[^}]*\} (\d+)/.exec(text);
    if (match === null) throw new Error(`${id}'s /metrics has no ringkv_storage_entries for objects`);
    return Number(match[1]);
  }

  async statusSeenBy(observer: string, id: string): Promise<string | undefined> {
    const { members } = await httpJson<MembersBody>(`${this.url(observer)}/cluster/members`);
    return members.find((m) => m.id === id)?.status;
  }

  running(): Tracked[] {
    return this.nodes.flatMap((n) => (n.process === undefined ? [] : [n.process]));
  }

  private node(id: string): NodeSpec {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }
}
