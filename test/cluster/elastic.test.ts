import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { getJson, useCluster, waitStatus } from "../support/cluster.js";
import { runCliAsync } from "../support/node-process.js";
import { testRandom } from "../support/test-seed.js";

interface ReplicasBody {
  partition: number;
  replicas: { id: string; values?: string[]; error?: string }[];
}
interface Member {
  id: string;
  state: string;
  status: string;
  partitions: number;
}

/** What the load's client saw during one step. */
interface StepCounts {
  writes: number;
  /** Writes answered 204: acknowledged by W=2 replicas. */
  acks: number;
  reads: number;
  /** Failures by kind (`put_503`, `get_500`, `network_TimeoutError`, `failover`, ...). */
  errors: Map<string, number>;
}

/** A client that writes new keys (W=2) and reads acknowledged ones (R=2) at a fixed rate through the live nodes. */
class Load {
  readonly acked = new Map<string, string>();
  /** Reads of an acknowledged key that answered 404, over the whole run. */
  readonly falseNotFound: string[] = [];
  private step: { name: string; counts: StepCounts } = { name: "start", counts: emptyCounts() };
  private next = 0;
  private readonly random = testRandom("elastic load");
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(private readonly urls: () => string[]) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.inFlight < 32) void this.tick();
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await waitFor("load to drain", async () => this.inFlight === 0, 30_000);
  }

  /** Starts counting for a new step; what the client saw in the previous one is forgotten. */
  beginStep(name: string): void {
    this.step = { name, counts: emptyCounts() };
  }

  /** What the client saw since `beginStep`, as one line, and the counts themselves. */
  report(): { name: string; counts: StepCounts; text: string } {
    const { name, counts } = this.step;
    const errors = [...counts.errors].map(([k, v]) => `${k}=${v}`).join(" ") || "none";
    const text = `writes=${counts.writes} acked=${counts.acks} reads=${counts.reads} false404=${this.falseNotFound.length} errors: ${errors}`;
    return { name, counts, text };
  }

  private async tick(): Promise<void> {
    this.inFlight += 1;
    try {
      await this.op(0);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** One operation; a node that cannot be reached at all (it just exited) is failed over once, as a client library does. */
  private async op(attempt: number, avoid = ""): Promise<void> {
    const urls = this.urls().filter((u) => u !== avoid);
    const url = urls[this.random.below(urls.length)] ?? "";
    try {
      const keys = [...this.acked.keys()];
      if (this.next % 2 === 0 || keys.length === 0) {
        const key = `load-${this.next++}`;
        const res = await fetch(`${url}/kv/${key}?w=2`, {
          method: "PUT",
          body: `v-${key}`,
          signal: AbortSignal.timeout(10_000),
        });
        this.step.counts.writes += 1;
        if (res.status === 204) {
          this.acked.set(key, `v-${key}`);
          this.step.counts.acks += 1;
        } else this.count(`put_${res.status}`);
      } else {
        this.next += 1;
        const key = keys[this.random.below(keys.length)] ?? "";
        const res = await fetch(`${url}/kv/${key}?r=2`, { signal: AbortSignal.timeout(10_000) });
        this.step.counts.reads += 1;
        if (res.status === 404) this.falseNotFound.push(`${key} via ${url}`);
        else if (res.status !== 200) this.count(`get_${res.status}`);
        await res.arrayBuffer();
      }
    } catch (error) {
      if (attempt === 0 && error instanceof TypeError) {
        this.count("failover");
        await this.op(1, url);
        return;
      }
      this.count(error instanceof Error ? `network_${error.name}` : "network");
    }
  }

  private count(kind: string): void {
    const errors = this.step.counts.errors;
    errors.set(kind, (errors.get(kind) ?? 0) + 1);
  }
}

function emptyCounts(): StepCounts {
  return { writes: 0, acks: 0, reads: 0, errors: new Map() };
}

describe("elastic scaling under client load on real processes (N=3, R=2, W=2)", { timeout: 600_000 }, () => {
  const gone = new Set<string>();
  // Declared before the cluster exists; it only reads the node list when the load runs.
  const live = (): string[] => cluster.nodes.filter((n) => !gone.has(n.id) && n.url !== "").map((n) => n.url);
  const load = new Load(live);
  const { cluster, track, url } = useCluster(
    { nodes: 3, n: 3, r: 2, w: 2, partitions: 64 },
    { afterStart: () => load.start(20), beforeDestroy: () => load.stop() },
  );
  const members = (via: string): Promise<Member[]> =>
    getJson<{ members: Member[] }>(`${url(via)}/cluster/members`).then((b) => b.members);

  /** Every member in `ids` active and up, nobody else but left ones, as seen by `via`. */
  async function settled(via: string, ids: string[]): Promise<void> {
    await waitFor(
      `members ${ids.join(",")} active`,
      async () => {
        const m = (await members(via)).filter((x) => x.state !== "left");
        const active = m.every((x) => ids.includes(x.id) && x.state === "active" && x.status === "up");
        if (m.length !== ids.length || !active) return false;
        // And the ring has switched: exactly these members own partitions.
        const ring = await getJson<{ owners: string[][] }>(`${url(via)}/cluster/ring`);
        const owners = new Set(ring.owners.map((list) => list[0]));
        return owners.size === ids.length && ids.every((id) => owners.has(id));
      },
      120_000,
    );
  }

  /**
   * After a step: the load's writes were acknowledged while the step ran (a cluster that refused
   * every write would otherwise pass), every acknowledged write is readable with R=2, and a
   * sample has exactly its N home replicas.
   */
  async function verify(via: string, ids: string[], step: string): Promise<void> {
    await settled(via, ids);
    const seen = load.report();
    assert.equal(seen.name, step, "the step being verified is the one the load counted");
    process.stderr.write(`${step}: client saw ${seen.text}\n`);
    assert.ok(seen.counts.acks > 0, `no write was acknowledged during ${step}: ${seen.text}`);
    // A step may cost a few writes (a node exits under a request); most must still get through.
    assert.ok(
      seen.counts.acks * 2 >= seen.counts.writes,
      `fewer than half the writes were acknowledged during ${step}: ${seen.text}`,
    );
    assert.deepEqual(load.falseNotFound, [], "no read of an acknowledged key returned 404");
    const acked = [...load.acked];
    for (let i = 0; i < acked.length; i += 50) {
      await Promise.all(
        acked.slice(i, i + 50).map(async ([key, value]) => {
          const res = await fetch(`${url(via)}/kv/${key}?r=2`);
          assert.equal(res.status, 200, `${key} after ${step}`);
          assert.equal(await res.text(), value);
        }),
      );
    }
    const ring = await getJson<{ owners: string[][] }>(`${url(via)}/cluster/ring`);
    const counts = new Map<string, number>();
    for (const list of ring.owners) counts.set(list[0] ?? "", (counts.get(list[0] ?? "") ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), "exactly the members own partitions");
    for (const c of counts.values())
      assert.ok(
        c >= Math.floor(64 / ids.length) && c <= Math.ceil(64 / ids.length),
        `balanced: ${[...counts]}`,
      );
    for (const [key, value] of acked.slice(-20)) {
      await waitFor(
        `${key} on exactly its 3 home replicas`,
        async () => {
          const info = await getJson<ReplicasBody>(`${url(via)}/debug/replicas/${key}`);
          const home = ring.owners[info.partition]?.slice(0, 3);
          return (
            JSON.stringify(info.replicas.map((r) => r.id)) === JSON.stringify(home) &&
            info.replicas.every((r) => r.values?.[0] === Buffer.from(value).toString("base64"))
          );
        },
        30_000,
      );
    }
  }

  test("grow 3 -> 5: the new nodes take their share and receive its data while the load runs", () =>
    track(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      load.beginStep("grow 3->5");
      await cluster.addNode("n4");
      await cluster.addNode("n5");
      await settled("n1", ["n1", "n2", "n3", "n4", "n5"]);
      await verify("n5", ["n1", "n2", "n3", "n4", "n5"], "grow 3->5");
    }));

  test("shrink 5 -> 3 by leave: each leaving node hands its data over and its process exits 0", () =>
    track(async () => {
      // n5 through the HTTP API, n4 through the CLI, which follows the hand-over to the end.
      load.beginStep("shrink 5->3");
      const res = await fetch(`${url("n5")}/cluster/leave`, { method: "POST" });
      assert.equal(res.status, 202);
      assert.equal(await cluster.node("n5").process?.exitCode(), 0, "n5 exits 0 after leaving");
      gone.add("n5");
      const cli = await runCliAsync(["leave", "--node", url("n4")]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /n4 has left the cluster/);
      assert.equal(await cluster.node("n4").process?.exitCode(), 0, "n4 exits 0 after leaving");
      gone.add("n4");
      await settled("n1", ["n1", "n2", "n3"]);
      await verify("n2", ["n1", "n2", "n3"], "shrink 5->3");
    }));

  test("remove a killed node: the survivors re-create its replicas", () =>
    track(async () => {
      load.beginStep("grow 3->4");
      await cluster.addNode("n6");
      await settled("n1", ["n1", "n2", "n3", "n6"]);
      await verify("n6", ["n1", "n2", "n3", "n6"], "grow 3->4");
      load.beginStep("remove n2");
      await cluster.kill("n2");
      gone.add("n2");
      await waitStatus(url("n1"), "n2", "down");
      // While n2 is down, the load's writes leave hints for it on the fallback.
      await waitFor(
        "hints held for the down n2",
        async () => {
          for (const id of ["n1", "n3", "n6"]) {
            const text = await (await fetch(`${url(id)}/metrics`)).text();
            if (/ringkv_hints_pending\{target="n2"[^}]*\} [1-9]/.test(text)) return true;
          }
          return false;
        },
        15_000,
      );
      const live409 = await fetch(`${url("n1")}/cluster/remove/n3`, { method: "POST" });
      assert.equal(live409.status, 409, "a live node cannot be removed");
      assert.equal((await fetch(`${url("n1")}/cluster/remove/nope`, { method: "POST" })).status, 404);
      const removed = await runCliAsync(["remove", "n2", "--node", url("n1")]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /n2 removed/);
      await settled("n1", ["n1", "n3", "n6"]);
      await verify("n3", ["n1", "n3", "n6"], "remove n2");
      // Hints held for n2 while it was down went to the keys' home replicas, not into a void.
      await waitFor(
        "no hints left for the removed n2",
        async () => {
          for (const id of ["n1", "n3", "n6"]) {
            const text = await (await fetch(`${url(id)}/metrics`)).text();
            if (/ringkv_hints_pending\{target="n2"[^}]*\} [1-9]/.test(text)) return false;
          }
          return true;
        },
        30_000,
      );
    }));
});
