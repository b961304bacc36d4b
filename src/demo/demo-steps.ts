import type { DebugReplicasInfo, ReplicaDebugInfo } from "../api/interface.js";
import type { GetResult } from "../client/http-client.js";
import type { DemoCluster } from "./demo-cluster.js";
import type { Narrator } from "./narrator.js";
import { pollUntil, secondsSince } from "./poll.js";

/** What the steps share: the cluster, the narration, and what earlier steps wrote. */
export interface DemoContext {
  cluster: DemoCluster;
  say: Narrator;
  n: number;
  r: number;
  w: number;
  partitions: number;
  /** Bounds every wait for the cluster to do something (a join, noticing a failure, a hand-over). */
  waitMs: number;
  /** Keys written so far and the value each must still have; the last step reads them all back. */
  written: Map<string, string>;
  /** Set by step 3 for step 4. */
  failover?: { key: string; value: string; victim: string; fallback: string };
  /** Set by step 2: the node that joined, and a key it is a home replica of. */
  joined?: { id: string; key: string };
}

export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");
const quote = (text: string): string => `"${text}"`;

function holds(replica: ReplicaDebugInfo, value: string): boolean {
  return replica.values?.length === 1 && replica.values[0] === b64(value);
}

function shown(replica: ReplicaDebugInfo): string {
  if (replica.error !== undefined) return `${replica.id}: ${replica.error}`;
  const values = (replica.values ?? []).map((v) => quote(Buffer.from(v, "base64").toString()));
  return `${replica.id}: ${values.length === 0 ? "nothing" : values.join(" + ")}`;
}

async function replicasOf(ctx: DemoContext, via: string, key: string): Promise<DebugReplicasInfo> {
  return ctx.cluster.client(via).getJson<DebugReplicasInfo>(`/debug/replicas/${encodeURIComponent(key)}`);
}

/** Polls /debug/replicas until `ok` holds; resolves with the last answer either way. */
async function replicasWhen(
  ctx: DemoContext,
  via: string,
  key: string,
  ok: (info: DebugReplicasInfo) => boolean,
): Promise<{ info: DebugReplicasInfo; ok: boolean }> {
  const done = await pollUntil(async () => {
    const info = await replicasOf(ctx, via, key);
    return ok(info) ? info : undefined;
  }, ctx.waitMs);
  return done === undefined ? { info: await replicasOf(ctx, via, key), ok: false } : { info: done, ok: true };
}

function describe(result: GetResult): string {
  if (result.status === 200) return quote(Buffer.from(result.value).toString());
  if (result.status === 404) return "not found (404)";
  return `${result.siblings.length} siblings (300)`;
}

async function readThrough(ctx: DemoContext, via: string, key: string): Promise<string> {
  try {
    return describe(await ctx.cluster.client(via).get(key));
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A key whose home replicas satisfy `wanted`, from a short list of readable names. */
async function findKey(
  ctx: DemoContext,
  prefix: string,
  wanted: (home: string[]) => boolean,
): Promise<{ key: string; home: string[] } | undefined> {
  for (let i = 1; i <= 200; i++) {
    const key = `${prefix}-${i}`;
    const home = (await replicasOf(ctx, "n1", key)).replicas.map((r) => r.id);
    if (wanted(home)) return { key, home };
  }
  return undefined;
}

const replication: DemoStep = {
  title: "replication and quorum",
  async run(ctx) {
    const { say, cluster, n, r, w } = ctx;
    say.beginStep(1, this.title, [
      `Every key is stored on N=${n} nodes, its "home replicas", picked from the ring by hashing the key.`,
      `Any node can take a request. A write succeeds once W=${w} home replicas have it on disk; a read`,
      `asks R=${r} of them. Since R + W > N, every read overlaps every successful write.`,
    ]);
    const key = "greeting";
    const value = "hello, ringkv";
    say.doing(`PUT ${key} = ${quote(value)} through n1`);
    await cluster.client("n1").put(key, value);
    ctx.written.set(key, value);
    say.saw(`n1 answered 204: at least W=${w} home replicas stored it`);
    say.doing(`GET /debug/replicas/${key} through n2: which nodes hold a copy?`);
    const { info, ok } = await replicasWhen(
      ctx,
      "n2",
      key,
      (i) =>
        i.replicas.length === n && i.replicas.every((rep) => holds(rep, value)) && i.fallbacks.length === 0,
    );
    const home = info.replicas.map((rep) => rep.id);
    say.saw(
      `partition ${info.partition}; ${info.replicas.map(shown).join(", ")}; ${info.fallbacks.length} stand-in copies`,
    );
    say.check(
      ok && new Set(home).size === n,
      `the write is on exactly its N=${n} home replicas (${home.join(", ")}), with no stand-in copies`,
      `expected ${quote(value)} on exactly N=${n} home replicas and no stand-ins`,
    );
    const outsider = cluster.ids().find((id) => !home.includes(id));
    say.doing(
      `GET ${key} through every node${outsider === undefined ? "" : ` (${outsider} holds no copy: it asks the home replicas)`}`,
    );
    const reads = await Promise.all(cluster.ids().map(async (id) => [id, await readThrough(ctx, id, key)]));
    say.saw(reads.map(([id, text]) => `${id} → ${text}`).join(", "));
    say.check(
      reads.every(([, text]) => text === quote(value)),
      `a read through any node returns ${quote(value)}`,
      `a read returned something other than ${quote(value)}`,
    );
  },
};

const join: DemoStep = {
  title: "a node joins",
  async run(ctx) {
    const { say, cluster, partitions } = ctx;
    const id = `n${cluster.ids().length + 1}`;
    say.beginStep(2, this.title, [
      `We start a new node, ${id}, and give it the addresses of two members (its "seeds"). It learns the`,
      `cluster's settings from them, shows up as "joining", receives the partitions it will own (streamed`,
      `from their current owners while the cluster keeps serving), then becomes "active".`,
    ]);
    const seeds = [cluster.node("n1").listen, cluster.node("n2").listen];
    say.doing(`starting ${id} with --seeds ${seeds.join(",")}`);
    const started = Date.now();
    await cluster.add(id, seeds);
    say.doing(`waiting until ${id} is active, owns partitions, and every node agrees on the new ring`);
    const member = await pollUntil(async () => {
      const m = (await cluster.members("n1")).find((x) => x.id === id);
      return m?.state === "active" && m.status === "up" && m.partitions > 0 ? m : undefined;
    }, ctx.waitMs);
    const version = member === undefined ? undefined : await cluster.waitConverged(ctx.waitMs);
    say.saw(
      member === undefined
        ? `${id} did not become active within ${ctx.waitMs} ms`
        : `${id} active after ${secondsSince(started)} s, first owner of ${member.partitions} of ${partitions} partitions; ` +
            (version === undefined
              ? "the nodes did not agree on one ring"
              : `all ${cluster.running().length} nodes on ring version ${version}`),
    );
    if (
      !say.check(
        member !== undefined && version !== undefined,
        `${id} joined: it is active and owns partitions`,
        `${id} did not finish joining`,
      )
    )
      return;
    const greeting = ctx.written.get("greeting") ?? "";
    say.doing(`GET greeting through ${id}, and check its home replicas after the ownership change`);
    const read = await readThrough(ctx, id, "greeting");
    const after = await replicasWhen(ctx, id, "greeting", (i) =>
      i.replicas.every((rep) => holds(rep, greeting)),
    );
    say.saw(`${id} → ${read}; ${after.info.replicas.map(shown).join(", ")}`);
    say.check(
      read === quote(greeting) && after.ok,
      "data written before the join is still readable, and still on N home replicas",
      "data written before the join is not where it should be",
    );
    const found = await findKey(ctx, "after-join", (home) => home.includes(id));
    if (found === undefined) {
      say.check(false, "", `found no key whose home replicas include ${id}`);
      return;
    }
    const { key, home } = found;
    const value = `written after ${id} joined`;
    say.doing(
      `PUT ${key} = ${quote(value)} through n1: a key whose home replicas (${home.join(", ")}) include ${id}`,
    );
    await cluster.client("n1").put(key, value);
    ctx.written.set(key, value);
    ctx.joined = { id, key };
    const onNew = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.some((rep) => rep.id === id && holds(rep, value)),
    );
    say.doing(`GET /debug/replicas/${key}, then GET ${key} through ${id}`);
    const readNew = await readThrough(ctx, id, key);
    say.saw(`${onNew.info.replicas.map(shown).join(", ")}; GET through ${id} → ${readNew}`);
    say.check(
      onNew.ok && readNew === quote(value),
      `the new write is stored on ${id}, and a read through ${id} returns it`,
      `the new write is not on ${id} or not readable through it`,
    );
  },
};

const failure: DemoStep = {
  title: "a node fails; writes go on (sloppy quorum, hinted handoff)",
  async run(ctx) {
    const { say, cluster, n, w } = ctx;
    const protectedIds = ["n1", ctx.joined?.id ?? ""];
    const found = await findKey(ctx, "profile", (home) => home.some((id) => !protectedIds.includes(id)));
    const key = found?.key ?? "";
    const home = found?.home ?? [];
    const victim = home.find((id) => !protectedIds.includes(id)) ?? "";
    say.beginStep(3, this.title, [
      `We take the key ${quote(key)}, whose home replicas are ${home.join(", ")}, and crash ${victim} (SIGKILL: no`,
      `clean shutdown, like a power cut). The others notice through gossip within a few seconds. Writes`,
      `keep working: when a home replica is down, the next healthy node on the ring stands in for it`,
      `("sloppy quorum") and keeps the write as a "hint" to deliver when ${victim} comes back.`,
    ]);
    if (found === undefined) {
      say.check(false, "", "found no key with a home replica to crash");
      return;
    }
    const first = "version 1";
    say.doing(`PUT ${key} = ${quote(first)} through n1 while all nodes are up`);
    const context = await cluster.client("n1").put(key, first);
    const everywhere = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.every((rep) => holds(rep, first)),
    );
    say.saw(everywhere.info.replicas.map(shown).join(", "));
    const pid = cluster.node(victim).process.pid;
    say.doing(`crashing ${victim}: SIGKILL to pid ${pid}`);
    await cluster.kill(victim, "SIGKILL");
    const killedAt = Date.now();
    // Every node, not only n1: the write below is coordinated by one of the key's replicas.
    say.doing(`waiting for every other node to see ${victim} as down`);
    const down = await pollUntil(async () => {
      for (const node of cluster.running()) {
        const m = (await cluster.members(node.id)).find((x) => x.id === victim);
        if (m?.status !== "down") return undefined;
      }
      return Date.now();
    }, ctx.waitMs);
    say.saw(
      down === undefined
        ? `${victim} not seen down everywhere within ${ctx.waitMs} ms`
        : `all ${cluster.running().length} other nodes see ${victim} down ${((down - killedAt) / 1000).toFixed(1)} s after the crash`,
    );
    if (!say.check(down !== undefined, `the failure was detected`)) return;
    const value = "version 2";
    say.doing(
      `PUT ${key} = ${quote(value)} through n1 with w=${n}: all ${n} copies required (default W=${w}), although ${victim} is down`,
    );
    let accepted = false;
    try {
      await cluster.client("n1").put(key, value, { context, w: n });
      accepted = true;
      say.saw("204: the write was acknowledged");
    } catch (error) {
      say.saw(`refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    ctx.written.set(key, accepted ? value : first);
    say.check(
      accepted,
      `the write succeeded with ${victim} down: a stand-in took ${victim}'s copy`,
      `the write failed with ${victim} down`,
    );
    say.doing(`GET /debug/replicas/${key}: where is ${victim}'s copy?`);
    const hinted = await replicasWhen(ctx, "n1", key, (i) =>
      i.fallbacks.some((f) => f.hintFor === victim && holds(f, value)),
    );
    const stand = hinted.info.fallbacks.find((f) => f.hintFor === victim && holds(f, value));
    say.saw(
      `home: ${hinted.info.replicas.map(shown).join(", ")}; stand-ins: ${
        hinted.info.fallbacks.map((f) => `${shown(f)} (hint for ${f.hintFor})`).join(", ") || "none"
      }`,
    );
    if (
      !say.check(stand !== undefined, `${stand?.id} holds the write as a hint for ${victim}`, "no hint found")
    )
      return;
    const fallback = stand?.id ?? "";
    say.doing("GET /cluster/members: the hints each node reports holding");
    const reported = await pollUntil(async () => {
      const m = (await cluster.members("n1")).find((x) => x.id === fallback);
      return m !== undefined && m.load.hints > 0 ? m : undefined;
    }, ctx.waitMs);
    say.saw(`${fallback} reports ${reported?.load.hints ?? 0} hint(s)`);
    say.check(reported !== undefined, `${fallback} reports a pending hint`, `${fallback} reports no hints`);
    ctx.failover = { key, value, victim, fallback };
  },
};

const recovery: DemoStep = {
  title: "the node recovers; hints are replayed",
  async run(ctx) {
    const { say, cluster } = ctx;
    const f = ctx.failover;
    if (f === undefined) {
      say.beginStep(4, this.title, []);
      say.check(false, "", "step 3 left no failed node to recover");
      return;
    }
    say.beginStep(4, this.title, [
      `We restart ${f.victim} with the same id and data directory: what it had on disk is still there, but it`,
      `missed ${quote(f.value)}. When ${f.fallback} sees it up again it sends the hint over, and deletes its`,
      "copy only once the home replica has it on disk. No operator action is needed.",
    ]);
    const started = Date.now();
    say.doing(`restarting ${f.victim}`);
    await cluster.restart(f.victim);
    const up = await pollUntil(async () => {
      const m = (await cluster.members("n1")).find((x) => x.id === f.victim);
      return m?.status === "up" ? m : undefined;
    }, ctx.waitMs);
    say.saw(
      up === undefined
        ? `${f.victim} not seen up`
        : `n1 sees ${f.victim} up ${secondsSince(started)} s after the restart`,
    );
    say.doing(`waiting for ${f.victim} to hold ${quote(f.value)} and the stand-in copy to be gone`);
    const delivered = await replicasWhen(
      ctx,
      "n1",
      f.key,
      (i) => i.replicas.some((rep) => rep.id === f.victim && holds(rep, f.value)) && i.fallbacks.length === 0,
    );
    say.saw(
      `${delivered.info.replicas.map(shown).join(", ")}; ${delivered.info.fallbacks.length} stand-in copies (${secondsSince(started)} s after the restart)`,
    );
    say.check(
      delivered.ok,
      `the hint was replayed: ${f.victim} holds ${quote(f.value)}`,
      `${f.victim} did not receive the write it missed`,
    );
    say.doing("GET /cluster/members: the hints each node still holds");
    const drained = await pollUntil(async () => {
      const members = (await cluster.members("n1")).filter((m) => m.state !== "left");
      return members.every((m) => m.load.hints === 0) ? members : undefined;
    }, ctx.waitMs);
    say.saw(
      `hints reported: ${(drained ?? (await cluster.members("n1"))).map((m) => `${m.id}=${m.load.hints}`).join(", ")}`,
    );
    say.check(drained !== undefined, "hints drained to 0 on every node", "hints are still pending");
    say.doing(`GET ${f.key} through ${f.victim}`);
    const read = await readThrough(ctx, f.victim, f.key);
    say.saw(`${f.victim} → ${read}`);
    say.check(read === quote(f.value), `a read through ${f.victim} returns the latest value`);
  },
};

const siblings: DemoStep = {
  title: "concurrent writes become siblings, resolved by a merged write",
  async run(ctx) {
    const { say, cluster, n } = ctx;
    const key = "shopping-cart";
    say.beginStep(5, this.title, [
      `Two clients write ${quote(key)} at the same time through different nodes, neither having read it first.`,
      "Neither write knows about the other, so ringkv keeps both as siblings rather than silently dropping",
      "one (as last-write-wins would). A read returns both with one context; the application merges them",
      "and writes the result with that context, which says: this replaces both.",
    ]);
    say.doing(`at the same time: PUT ${key} = "apples" through n1, and PUT ${key} = "pears" through n4`);
    const results = await Promise.allSettled([
      cluster.client("n1").put(key, "apples"),
      cluster.client("n4").put(key, "pears"),
    ]);
    const bothOk = results.every((x) => x.status === "fulfilled");
    say.saw(bothOk ? "both answered 204" : "a write failed");
    if (!say.check(bothOk, "both writes were accepted")) return;
    say.doing(`GET ${key} through n2`);
    const read = await cluster.client("n2").get(key);
    const values =
      read.status === 300 ? read.siblings.map((s) => Buffer.from(s.value).toString()).sort() : [];
    say.saw(
      read.status === 300
        ? `300 Multiple Choices: ${values.map(quote).join(" and ")}, with one context`
        : `status ${read.status}: ${describe(read)}`,
    );
    if (
      !say.check(
        read.status === 300 && JSON.stringify(values) === JSON.stringify(["apples", "pears"]),
        "the read returns both concurrent values as siblings",
        "expected a 300 with the siblings apples and pears",
      ) ||
      read.status !== 300
    )
      return;
    const merged = "apples,pears";
    say.doing(`PUT ${key} = ${quote(merged)} through n2 with the context of that read`);
    await cluster.client("n2").put(key, merged, { context: read.context });
    ctx.written.set(key, merged);
    say.saw("204: stored");
    say.doing(`GET ${key} through n5`);
    const after = await readThrough(ctx, "n5", key);
    say.saw(`n5 → ${after}`);
    say.check(after === quote(merged), "the merged write replaced both siblings (200, one value)");
    say.doing(`GET /debug/replicas/${key}: what does each home replica hold now?`);
    const converged = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.every((rep) => holds(rep, merged)),
    );
    say.saw(converged.info.replicas.map(shown).join(", "));
    say.check(
      converged.ok,
      `all ${n} home replicas converged to the single merged version`,
      "the home replicas did not converge to the merged version",
    );
  },
};

const leave: DemoStep = {
  title: "a node leaves; data stays readable",
  async run(ctx) {
    const { say, cluster, n } = ctx;
    const leaver = ctx.joined?.id ?? "n5";
    say.beginStep(6, this.title, [
      `Scaling down: we ask ${leaver} to leave (POST /cluster/leave). Unlike a crash, a leave is planned:`,
      `${leaver}'s partitions are streamed to their new owners, the ring switches over, and ${leaver}'s`,
      "process exits cleanly. Every key must still be readable, with N copies on the remaining nodes.",
    ]);
    const node = cluster.node(leaver);
    say.doing(`POST /cluster/leave to ${leaver}`);
    const started = Date.now();
    await node.client.postJson("/cluster/leave");
    say.saw("202: the hand-over started");
    say.doing(`waiting for ${leaver} to hand over its partitions and exit`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      node.process.exited,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), ctx.waitMs);
      }),
    ]);
    clearTimeout(timer);
    say.saw(
      code === "timeout"
        ? `${leaver} still runs after ${ctx.waitMs} ms`
        : `${leaver} exited with code ${code} after ${secondsSince(started)} s`,
    );
    say.check(code === 0, `${leaver}'s process exited cleanly (code 0)`, `${leaver} did not exit with 0`);
    say.doing(`GET /cluster/members and /cluster/ring through n1: is ${leaver} gone?`);
    const gone = await pollUntil(async () => {
      const m = (await cluster.members("n1")).find((x) => x.id === leaver);
      const ring = await cluster.ring("n1");
      return (m === undefined || m.state === "left") && ring.owners.every((list) => !list.includes(leaver))
        ? ring
        : undefined;
    }, ctx.waitMs);
    const version = gone === undefined ? undefined : await cluster.waitConverged(ctx.waitMs);
    say.saw(
      gone === undefined
        ? `${leaver} is still a member or still in the ring`
        : `${leaver} is "left"; no partition lists it; ${cluster.running().length} nodes on ring version ${version ?? "(not agreed)"}`,
    );
    say.check(
      gone !== undefined && version !== undefined,
      `${leaver} is gone from the cluster and the ring`,
      `${leaver} is not gone`,
    );
    const readers = cluster.running().map((m) => m.id);
    say.doing(`reading every key written so far through ${readers.join(", ")}`);
    const wrong: string[] = [];
    for (const [key, value] of ctx.written) {
      for (const id of readers) {
        const text = await readThrough(ctx, id, key);
        if (text !== quote(value)) wrong.push(`${key} via ${id} → ${text}`);
      }
    }
    say.saw(
      wrong.length === 0
        ? `${ctx.written.size} keys × ${readers.length} nodes all as written`
        : wrong.join("; "),
    );
    say.check(wrong.length === 0, "every key is still readable through every node", "some reads were wrong");
    const moved = ctx.joined?.key;
    if (moved !== undefined) {
      const value = ctx.written.get(moved) ?? "";
      say.doing(`GET /debug/replicas/${moved}: where are the copies ${leaver} held?`);
      const placed = await replicasWhen(
        ctx,
        "n1",
        moved,
        (i) => i.replicas.length === n && i.replicas.every((rep) => rep.id !== leaver && holds(rep, value)),
      );
      say.saw(`${moved}: ${placed.info.replicas.map(shown).join(", ")}`);
      say.check(
        placed.ok,
        `${moved} (which ${leaver} held) is on N=${n} remaining nodes`,
        `${moved} is not on N remaining nodes`,
      );
    }
  },
};

/** The six steps, in order; each builds on the cluster the previous ones left. */
export const DEMO_STEPS: readonly DemoStep[] = [replication, join, failure, recovery, siblings, leave];
