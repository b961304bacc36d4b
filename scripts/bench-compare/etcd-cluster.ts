import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import type { ProcessGroup, Tracked } from "./process-group.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { httpJson, waitUntil } from "./wait-until.js";

/**
 * Starts a `members`-member etcd cluster on 127.0.0.1 (each with its own data dir, otherwise
 * etcd's defaults: every write is fsynced to the WAL of a Raft majority before it is answered)
 * and waits until every member reports itself healthy, which needs an elected leader.
 */
export async function startEtcdCluster(
  group: ProcessGroup,
  root: string,
  members = 3,
): Promise<StoreUnderTest> {
  const dir = join(root, "etcd");
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: members }, (_, i) => `m${i + 1}`);
  const peers: string[] = [];
  const clients: string[] = [];
  for (let i = 0; i < members; i++) {
    peers.push(`http://127.0.0.1:${await freePort()}`);
    clients.push(`http://127.0.0.1:${await freePort()}`);
  }
  const initialCluster = names.map((name, i) => `${name}=${peers[i]}`).join(",");
  const token = `ringkv-bench-${process.pid}-${Date.now()}`;
  const started: Tracked[] = [];
  const commands: string[] = [];
  try {
    names.forEach((name, i) => {
      const args = [
        "--name",
        name,
        "--data-dir",
        join(dir, name),
        "--listen-client-urls",
        clients[i]!,
        "--advertise-client-urls",
        clients[i]!,
        "--listen-peer-urls",
        peers[i]!,
        "--initial-advertise-peer-urls",
        peers[i]!,
        "--initial-cluster",
        initialCluster,
        "--initial-cluster-token",
        token,
        "--initial-cluster-state",
        "new",
      ];
      commands.push(`etcd ${args.join(" ")}`);
      started.push(group.spawn(`etcd ${name}`, "etcd", args, join(dir, `${name}.log`)));
    });
    for (const [i, client] of clients.entries()) {
      await waitUntil(
        `etcd ${names[i]} to be healthy`,
        async () => (await httpJson<{ health: string }>(`${client}/health`)).health === "true",
        started,
      );
    }
  } catch (error) {
    await Promise.all(started.map((t) => group.stop(t)));
    throw error;
  }
  return {
    id: "etcd",
    label: `etcd, ${members} members`,
    benchArgs: ["--target", "etcd", "--etcd", clients.join(",")],
    commands,
    async stop() {
      await Promise.all(started.map((t) => group.stop(t)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
