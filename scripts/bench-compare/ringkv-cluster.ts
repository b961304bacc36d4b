import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import type { ProcessGroup, Tracked } from "./process-group.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { httpJson, waitUntil } from "./wait-until.js";

interface MembersBody {
  members: { id: string; state: string; status: string }[];
}

/** N = min(3, nodes); R and W are majorities of N: 1 node runs N=1 R=1 W=1, three or more N=3 R=2 W=2. */
export function ringkvQuorum(nodes: number): { n: number; r: number; w: number } {
  const n = Math.min(3, nodes);
  const majority = Math.floor(n / 2) + 1;
  return { n, r: majority, w: majority };
}

/**
 * Starts `nodes` ringkv processes (`ringkv start`, durable acknowledgements as by default) on
 * 127.0.0.1, the first forming the cluster and the others joining it, and waits until every node
 * sees every member active and up and all agree on the ring.
 */
export async function startRingkvCluster(
  group: ProcessGroup,
  root: string,
  bin: string,
  nodes: number,
  /** The client protocol `ringkv bench` uses (its own default is binary). */
  protocol: "binary" | "http" = "binary",
): Promise<StoreUnderTest> {
  const suffix = protocol === "binary" ? "" : `-${protocol}`;
  const dir = join(root, `ringkv-${nodes}${suffix}`);
  mkdirSync(dir, { recursive: true });
  const { n, r, w } = ringkvQuorum(nodes);
  const started: Tracked[] = [];
  const urls: string[] = [];
  const commands: string[] = [];
  let firstListen = "";
  try {
    for (let i = 1; i <= nodes; i++) {
      const id = `n${i}`;
      const listen = `127.0.0.1:${await freePort()}`;
      const http = `127.0.0.1:${await freePort()}`;
      const args = ["start", "--id", id, "--listen", listen, "--http", http, "--data-dir", join(dir, id)];
      args.push("--n", String(n), "--r", String(r), "--w", String(w));
      if (i === 1) firstListen = listen;
      else args.push("--seeds", firstListen);
      commands.push(`node bin/ringkv.js ${args.join(" ")}`);
      const node = group.spawn(`ringkv ${id}`, process.execPath, [bin, ...args], join(dir, `${id}.log`));
      started.push(node);
      urls.push(`http://${http}`);
      await waitUntil(
        `ringkv ${id} to serve`,
        async () => (await httpJson<{ status: string }>(`http://${http}/health`)).status === "ok",
        [node],
      );
    }
    await waitUntil(
      `the ${nodes}-node ringkv cluster to converge`,
      async () => {
        const rings = new Set<string>();
        for (const url of urls) {
          const { members } = await httpJson<MembersBody>(`${url}/cluster/members`);
          if (members.length !== nodes || !members.every((m) => m.state === "active" && m.status === "up"))
            return false;
          rings.add(JSON.stringify((await httpJson<{ owners: string[][] }>(`${url}/cluster/ring`)).owners));
        }
        return rings.size === 1;
      },
      started,
      120_000,
    );
  } catch (error) {
    await Promise.all(started.map((t) => group.stop(t)));
    throw error;
  }
  return {
    id: `ringkv-${nodes}${suffix}`,
    label: `ringkv, ${nodes} node${nodes === 1 ? "" : "s"} (N=${n}, R=${r}, W=${w})${protocol === "binary" ? "" : ", over HTTP"}`,
    benchArgs: ["--target", "ringkv", "--nodes", urls.join(","), "--protocol", protocol],
    commands,
    async stop() {
      await Promise.all(started.map((t) => group.stop(t)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
