import { DEFAULT_NAMESPACE, decodeKey, namespaceRange } from "../../src/core/namespace/index.js";
import { partitionOf } from "../../src/core/partition.js";
import { preferenceList } from "../../src/core/ring/preference-list.js";
import { decodeStoredObject, encodeStoredObject, type StoredObject } from "../../src/core/stored-object.js";
import { objectKey, partitionRange } from "../../src/storage/object-key.js";
import { defaultFaultWeights, type FaultKind, Nemesis } from "./faults.js";
import { History } from "./history.js";
import { checkHistory, clientView, listingProblems } from "./invariants.js";
import { defaultKeySpace, type KeySpace, mixedKeySpace } from "./key-space.js";
import { describeObject } from "./key-watch.js";
import { SimCluster, stackOf } from "./sim-cluster.js";
import type { SimNode } from "./sim-node.js";
import { SimRandom } from "./sim-random.js";
import { liveValues, TTL_S_MAX_SIM, text, Workload } from "./workload.js";

/** The request timeout simulated clients ask for. */
const REQUEST_TIMEOUT_MS = 2000;

export interface RunOptions {
  seed: number;
  /** Nodes the cluster starts with (default: drawn from the seed, 5 to 50, mostly small). */
  nodes?: number;
  /** Virtual ms of workload under faults (default 20 s). */
  workloadMs?: number;
  verbose: boolean;
  print: (line: string) => void;
  /** Print what every node holds of this key whenever it changes (debugging). */
  watchKey?: string;
  /** Crashes may also lose the node's hints (off by default: existing seeds draw as before). */
  hintLoss?: boolean;
  /** Some writes expire (Workload ttl; off by default: existing seeds draw as before). */
  ttl?: boolean;
  /**
   * Namespaces of their own n: right as the workload starts, one node is told of a namespace with
   * n=2 and one with n=N+1, and the keys are spread over them and `default` (off by default:
   * existing seeds draw as before).
   */
  mixedN?: boolean;
}

export interface RunResult {
  seed: number;
  ok: boolean;
  problems: string[];
  /** sha256 of the run's trace: equal for two runs of one seed. */
  traceHash: string;
  summary: string;
  /** The trace's last lines, for a failure report. */
  tail: string[];
  stats: RunStats;
}

export interface RunStats {
  nodes: number;
  ops: number;
  acked: number;
  /** Acknowledged puts with a time to live. */
  expiringAcked: number;
  unknown: number;
  failed: number;
  faults: string;
  virtualMs: number;
  realMs: number;
  timers: number;
}

const N = 3;
const FORMATION_MAX_MS = 60_000;
const QUIESCENCE_MAX_MS = 180_000;
const QUIESCENCE_STEP_MS = 500;

/** The parts of a run drawn from its seed (flags may override some). */
interface RunConfig {
  nodes: number;
  partitions: number;
  keys: KeySpace;
  clients: number;
  workloadMs: number;
  tombstoneGraceMs: number;
  /** How long a disk sync takes (ms, inclusive): writes in that window die with a crash. */
  syncDelayMs: readonly [number, number];
}

function configFor(options: RunOptions): RunConfig {
  const random = new SimRandom(options.seed).fork("config");
  const drawn = random.weighted([
    [5, 40],
    [6, 20],
    [7, 20],
    [9, 10],
    [12, 6],
    [random.int(13, 50), 4],
  ] as const);
  const nodes = options.nodes ?? drawn;
  const keyCount = random.int(3, 10);
  return {
    nodes,
    partitions: nodes <= 12 ? 32 : 64,
    keys:
      options.mixedN === true
        ? mixedKeySpace(keyCount, N)
        : defaultKeySpace(
            Array.from({ length: keyCount }, (_, i) => `k${i}`),
            N,
          ),
    clients: random.int(2, 5),
    workloadMs: options.workloadMs ?? 20_000,
    tombstoneGraceMs: 24 * 3600 * 1000,
    syncDelayMs: random.pick([
      [0, 3],
      [0, 20],
      [5, 50],
    ] as const),
  };
}

/** The command that replays a seed exactly. */
export function replayCommand(
  options: Pick<RunOptions, "seed" | "nodes" | "workloadMs" | "hintLoss" | "ttl" | "mixedN">,
): string {
  const flags = [`--seed ${options.seed}`];
  if (options.nodes !== undefined) flags.push(`--nodes ${options.nodes}`);
  if (options.hintLoss === true) flags.push("--hint-loss");
  if (options.ttl === true) flags.push("--ttl");
  if (options.mixedN === true) flags.push("--mixed-n");
  if (options.workloadMs !== undefined) flags.push(`--workload-ms ${options.workloadMs}`);
  return `npm run sim -- ${flags.join(" ")} --verbose`;
}

/**
 * One seed: form a cluster, run concurrent clients against it under random faults, heal, wait
 * for the cluster to converge, then check the history and the converged state.
 */
export async function runSeed(options: RunOptions): Promise<RunResult> {
  const startedReal = performance.now();
  const config = configFor(options);
  const cluster = new SimCluster({
    seed: options.seed,
    partitions: config.partitions,
    n: N,
    tombstoneGraceMs: config.tombstoneGraceMs,
    aaeIntervalMs: 100,
    syncDelayMs: config.syncDelayMs,
    verbose: options.verbose,
    print: options.print,
    watchKey: options.watchKey,
    storedKey: (label) => config.keys.stored(label),
  });
  const { sim, trace } = cluster;
  const onRejection = (reason: unknown): void => cluster.problem(`unhandled rejection: ${stackOf(reason)}`);
  process.on("unhandledRejection", onRejection);
  const history = new History(trace, () => sim.nowMs());
  let nemesis: Nemesis | undefined;
  try {
    trace.add(
      `seed ${options.seed}: ${config.nodes} nodes, ${config.partitions} partitions, ${config.keys.labels.length} keys, ${config.clients} clients`,
    );
    await form(cluster, config.nodes);
    if (cluster.problems.length === 0) {
      let nextId = config.nodes;
      nemesis = new Nemesis(
        cluster,
        cluster.random.fork("nemesis"),
        {
          gapMs: [200, 1500],
          durationMs: [200, 5000],
          impairedMax: Math.max(1, Math.floor((config.nodes - 1) / 2)),
          membersMin: 4,
          joinsMax: 2,
          leavesMax: 2,
          weights:
            options.hintLoss === true
              ? { ...defaultFaultWeights, "crash-lose-hints": 2 }
              : defaultFaultWeights,
        },
        () => `n${++nextId}`,
      );
      const keys = config.keys;
      const workloadStart = sim.nowMs();
      if (keys.namespaces.length > 0) void setNamespaces(cluster, keys, workloadStart);
      const workload = new Workload(
        {
          sim,
          random: cluster.random.fork("workload"),
          history,
          serving: () =>
            cluster.nodes.flatMap((n) => {
              const node = n.serving;
              return node === undefined ? [] : [{ id: n.id, node }];
            }),
          problem: (d) => cluster.problem(d),
        },
        {
          clients: config.clients,
          keys: keys.labels,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          clientTimeoutMs: 4000,
          thinkMs: 100,
          ttl: options.ttl === true,
          ...(keys.namespaces.length === 0
            ? {}
            : {
                storedKey: (label: string) => keys.stored(label),
                quorumMax: (label: string) => quorumOf(keys, label, config.nodes),
              }),
        },
      );
      const workloadEnd = workloadStart + config.workloadMs;
      let clientsDone = false;
      void workload.run(workloadEnd).then(() => {
        clientsDone = true;
      });
      void nemesis.run(workloadEnd);
      await sim.runUntil(workloadEnd);
      nemesis.healAll();
      await sim.runWhile(() => !clientsDone, sim.nowMs() + 30_000);
      if (!clientsDone) cluster.problem("clients did not finish within 30 s of the end of the workload");
      // Past every deadline a write of the run can carry (the last request stamped by the
      // coordinator's timeout at the latest), so the final state is judged with all of them expired.
      if (options.ttl === true) await sim.runUntil(sim.nowMs() + REQUEST_TIMEOUT_MS + TTL_S_MAX_SIM * 1000);
      const finals = await quiesce(cluster, config.keys);
      if (finals !== undefined) {
        await finalReads(cluster, history, config.keys, config.nodes, finals);
        await finalListing(cluster, config.keys, config.nodes, finals);
        for (const violation of checkHistory(history, finals, sim.nowMs())) cluster.problem(violation);
      }
    }
  } catch (error) {
    cluster.problem(`the simulation itself failed: ${stackOf(error)}`);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  const ops = history.ops.filter((o) => o.client >= 0 && o.kind !== "get");
  const stats: RunStats = {
    nodes: cluster.nodes.length,
    ops: history.ops.length,
    acked: ops.filter((o) => o.outcome === "ok").length,
    expiringAcked: ops.filter((o) => o.outcome === "ok" && o.ttlS !== undefined).length,
    unknown: ops.filter((o) => o.outcome === "unknown").length,
    failed: ops.filter((o) => o.outcome === "fail").length,
    faults: [...(nemesis?.counts ?? new Map<FaultKind, number>())].map(([k, v]) => `${k}:${v}`).join(" "),
    virtualMs: sim.nowMs(),
    realMs: Math.round(performance.now() - startedReal),
    timers: sim.fired,
  };
  trace.add(`end: ${cluster.problems.length} problems`);
  const ok = cluster.problems.length === 0;
  return {
    seed: options.seed,
    ok,
    problems: cluster.problems,
    traceHash: trace.digest(),
    tail: trace.lastLines(60),
    stats,
    summary: `seed ${options.seed}: ${ok ? "ok" : `FAILED (${cluster.problems.length} problems)`} nodes=${config.nodes}+${stats.nodes - config.nodes} writes=${stats.acked}ok(${stats.expiringAcked}expiring)/${stats.unknown}unknown/${stats.failed}failed ops=${stats.ops} faults=[${stats.faults}] virtual=${(stats.virtualMs / 1000).toFixed(1)}s real=${stats.realMs}ms`,
  };
}

/** Starts the first nodes (n1 forms the cluster, the others join through it) and waits for one settled ring. */
async function form(cluster: SimCluster, count: number): Promise<void> {
  const first = cluster.addNode("n1", []);
  for (let i = 2; i <= count; i++) cluster.addNode(`n${i}`, [first]);
  const formed = (): boolean => {
    if (cluster.serving.length !== count) return false;
    return cluster.serving.every((n) => {
      const state = n.serving?.clusterState;
      return (
        state !== undefined &&
        state.ring !== null &&
        state.ring.next === null &&
        state.members.length === count &&
        state.members.every((m) => m.state === "active")
      );
    });
  };
  const done = await cluster.sim.runWhile(() => !formed(), cluster.sim.nowMs() + FORMATION_MAX_MS);
  if (!done) cluster.problem(`the cluster of ${count} nodes did not form within ${FORMATION_MAX_MS} ms`);
  else cluster.trace.add("formed");
}

/**
 * Runs the healed cluster until it has converged: every member serves and agrees on membership
 * and the ring (no change pending), leavers have left, no hint is left, and every key's home
 * replicas hold identical histories. Returns those histories, or undefined (and a problem) when
 * the cluster did not converge in time.
 */
async function quiesce(
  cluster: SimCluster,
  keys: KeySpace,
): Promise<Map<string, StoredObject | undefined> | undefined> {
  const { sim } = cluster;
  const deadline = sim.nowMs() + QUIESCENCE_MAX_MS;
  let reason: string | undefined = "not checked yet";
  while (sim.nowMs() < deadline) {
    await sim.runFor(QUIESCENCE_STEP_MS);
    const result = convergence(cluster, keys);
    if (typeof result !== "string") {
      cluster.trace.add("converged");
      return result;
    }
    reason = result;
  }
  cluster.problem(
    `no convergence within ${QUIESCENCE_MAX_MS} ms after healing: ${reason}\n${membershipReport(cluster)}`,
  );
  return undefined;
}

/** Each node's view of the ring and the members, for a failure report. */
function membershipReport(cluster: SimCluster): string {
  return cluster.nodes
    .map((n) => {
      const node = n.process;
      if (node === undefined || n.isGone) return `  ${n.id}: ${n.state}`;
      const state = node.clusterState;
      const ring = state.ring;
      const members = node
        .members()
        .map((m) => `${m.id}:${m.state}/${m.status}/t${m.transfer.version}-${m.transfer.remaining}`)
        .join(" ");
      return `  ${n.id} (${n.state}): ring v${ring?.version ?? 0}${ring?.next ? " pending" : ""}; ${members}`;
    })
    .join("\n");
}

function convergence(cluster: SimCluster, keys: KeySpace): Map<string, StoredObject | undefined> | string {
  const members = cluster.members;
  for (const m of members) {
    if (m.serving === undefined) return `${m.id} is not serving (${m.state})`;
    if (m.leaving) return `${m.id} has not left yet`;
  }
  const first = members[0];
  if (first === undefined) return "no member left";
  const reference = first.serving?.clusterState;
  if (reference === undefined || reference.ring === null) return `${first.id} has no ring`;
  const ring = reference.ring;
  if (ring.next !== null) return `ring version ${ring.version} has a change pending`;
  const ids = members.map((m) => m.id).sort();
  for (const m of members) {
    const node = m.serving;
    if (node === undefined) return `${m.id} stopped serving`;
    const state = node.clusterState;
    if (state.ring?.version !== ring.version || state.ring.owners.join() !== ring.owners.join())
      return `${m.id} has ring ${state.ring?.version}, ${first.id} has ${ring.version}`;
    const current = state.members.filter((r) => r.state !== "left");
    if (current.map((r) => r.id).join() !== ids.join())
      return `${m.id} sees members ${current.map((r) => `${r.id}:${r.state}`).join(" ")}`;
    const notActive = current.find((r) => r.state !== "active");
    if (notActive !== undefined) return `${m.id} sees ${notActive.id} ${notActive.state}`;
    const notUp = node.members().find((info) => info.state !== "left" && info.status !== "up");
    if (notUp !== undefined) return `${m.id} sees ${notUp.id} ${notUp.status}`;
    const hints = m.storage.stats().stores.hints.entries;
    if (hints > 0) return `${m.id} still holds ${hints} hints`;
    // Every node, a joined one too, has heard of each namespace's n through the metadata.
    for (const ns of keys.namespaces) {
      const known = node.namespaces().properties(ns.name).n;
      if (known !== ns.n) return `${m.id} knows namespace ${ns.name} with n=${known ?? "-"}, not ${ns.n}`;
    }
  }
  const distinct = new Set(ring.owners).size;
  const homeCount = (n: number): number => Math.min(n, distinct);
  // Reclaim: once the change completed, no member keeps a copy of a key it is no home replica
  // of (outside the first n of the key's partition, n its namespace's).
  const labels = new Map(
    keys.labels.map((label) => [Buffer.from(keys.stored(label)).toString("hex"), label]),
  );
  for (const m of members) {
    for (let p = 0; p < ring.owners.length; p++) {
      const list = preferenceList(ring.owners, p);
      // The widest n any key has: a member outside it keeps nothing of the partition.
      if (list.slice(0, homeCount(keys.nMax)).includes(m.id)) {
        if (keys.namespaces.length === 0) continue;
        for (const [storageKey] of m.storage.scan("objects", partitionRange(p))) {
          const label = labels.get(Buffer.from(storageKey.subarray(4)).toString("hex"));
          const n = label === undefined ? N : keys.nOf(label);
          if (!list.slice(0, homeCount(n)).includes(m.id))
            return `${m.id} still holds a copy of ${label ?? "a key no client wrote"} (n=${n}, partition ${p}), outside its first ${n} replicas ${list.slice(0, homeCount(n)).join(",")}`;
        }
        continue;
      }
      const [held] = m.storage.scan("objects", { ...partitionRange(p), limit: 1 });
      if (held !== undefined) return `${m.id} still holds a copy of partition ${p}, which it gave away`;
    }
  }
  // Placement: every key is held alike by every one of its n home replicas (the first n of its
  // partition's preference list under the final ring): writes, hints, anti-entropy and transfer
  // followed its namespace's n.
  const finals = new Map<string, StoredObject | undefined>();
  for (const label of keys.labels) {
    const key = keys.stored(label);
    const partition = partitionOf(key, ring.owners.length);
    const home = preferenceList(ring.owners, partition).slice(0, homeCount(keys.nOf(label)));
    const held = home.map((id) => storedBytes(cluster.node(id), partition, key));
    const agreed = held[0];
    if (!held.every((h) => sameBytes(agreed, h)))
      return `${label}: home replicas ${home.join(",")} differ: ${home
        .map((id, i) => {
          const h = held[i];
          return `${id} ${h === undefined ? "holds nothing" : `holds ${describeObject(decodeStoredObject(h))}`}`;
        })
        .join("; ")}`;
    finals.set(label, agreed === undefined ? undefined : decodeStoredObject(agreed));
  }
  return finals;
}

/** A key's stored history on one node, re-encoded (so equal histories compare equal). */
function storedBytes(node: SimNode, partition: number, key: Uint8Array): Uint8Array | undefined {
  const stored = node.storage.get("objects", objectKey(partition, key));
  return stored === undefined ? undefined : encodeStoredObject(decodeStoredObject(stored));
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

/** The largest r and w a request on the key may ask: its n, and never more than the nodes there are. */
function quorumOf(keys: KeySpace, label: string, nodes: number): number {
  return Math.min(keys.nOf(label), nodes);
}

/** How long a node has to record a namespace's n before another node is asked. */
const NAMESPACE_SET_TIMEOUT_MS = 2000;
const NAMESPACE_SET_ATTEMPTS_MAX = 30;

/**
 * Sets each namespace's n through one node's metadata, racing the workload: the other nodes learn
 * of it through the metadata's push and anti-entropy, and until then coordinate, fence, hint and
 * repair the namespace's keys with the cluster's N. The delay and the node are drawn from the
 * run's "mixed-n" stream. A node that crashes or cannot record it is replaced by another.
 */
async function setNamespaces(cluster: SimCluster, keys: KeySpace, startMs: number): Promise<void> {
  const { sim } = cluster;
  const random = cluster.random.fork("mixed-n");
  await sim.sleep(startMs + random.int(0, 800) - sim.nowMs());
  for (const ns of keys.namespaces) {
    let recorded = false;
    for (let attempt = 0; attempt < NAMESPACE_SET_ATTEMPTS_MAX && !recorded; attempt++) {
      const serving = cluster.serving;
      if (serving.length === 0) {
        await sim.sleep(200);
        continue;
      }
      const target = random.pick(serving);
      const node = target.serving;
      if (node === undefined) continue;
      cluster.trace.add(`set namespace ${ns.name} n=${ns.n} @${target.id}`);
      const outcome = await Promise.race([
        node
          .namespaces()
          .set(ns.name, { n: ns.n })
          .then(
            () => "recorded",
            (error: unknown) => `refused (${String(error)})`,
          ),
        sim.sleep(NAMESPACE_SET_TIMEOUT_MS).then(() => "no answer"),
      ]);
      cluster.trace.add(`set namespace ${ns.name} @${target.id}: ${outcome}`);
      recorded = outcome === "recorded";
      if (!recorded) await sim.sleep(200);
    }
    if (!recorded) cluster.problem(`no node recorded namespace ${ns.name} n=${ns.n}`);
  }
}

/** Reads every key through a coordinator at R=n, as a client would, and checks it sees the converged state. */
async function finalReads(
  cluster: SimCluster,
  history: History,
  keys: KeySpace,
  nodes: number,
  finals: ReadonlyMap<string, StoredObject | undefined>,
): Promise<void> {
  const { sim } = cluster;
  const reader = cluster.serving[0];
  const node = reader?.serving;
  if (reader === undefined || node === undefined) return;
  for (const key of keys.labels) {
    const op = history.invoke({
      client: -1,
      kind: "get",
      key,
      node: reader.id,
      value: undefined,
      contextFrom: null,
    });
    let result: StoredObject | undefined;
    let error: unknown;
    let done = false;
    const q = keys.namespaces.length === 0 ? N : quorumOf(keys, key, nodes);
    node.coordinator.get(keys.stored(key), { r: q, w: q, pr: 0, pw: 0, timeoutMs: 5000 }).then(
      (object) => {
        result = object;
        done = true;
      },
      (e: unknown) => {
        error = e;
        done = true;
      },
    );
    await sim.runWhile(() => !done, sim.nowMs() + 10_000);
    if (!done || error !== undefined) {
      history.complete(op, "fail", { error: String(error ?? "no answer") });
      cluster.problem(`final read of ${key} failed: ${String(error ?? "no answer")}`);
      continue;
    }
    const values = liveValues(result);
    history.complete(op, "ok", { values });
    const expected = liveValues(clientView(finals.get(key), sim.nowMs()));
    if (values.join() !== expected.join())
      cluster.problem(
        `final read of ${key} returned [${values.join(",")}], the replicas hold [${expected.join(",")}]`,
      );
  }
}

/**
 * Lists every namespace's keys through a coordinator, in small pages, once the cluster converged:
 * every key whose converged state has a live value (so every acknowledged write not superseded)
 * is listed exactly once, in order and in its own namespace, and no key without one (deleted,
 * never stored) is.
 */
async function finalListing(
  cluster: SimCluster,
  keys: KeySpace,
  nodes: number,
  finals: ReadonlyMap<string, StoredObject | undefined>,
): Promise<void> {
  const namespaces = [{ name: DEFAULT_NAMESPACE, n: N }, ...keys.namespaces];
  for (const ns of namespaces) {
    const own = new Map([...finals].filter(([label]) => keys.namespaceOf(label) === ns.name));
    const listed = await listNamespace(
      cluster,
      ns.name,
      keys.namespaces.length === 0 ? undefined : { n: ns.n, r: Math.min(ns.n, nodes) },
    );
    if (listed === undefined) return;
    const labels = listed.map((stored) => {
      const decoded = decodeKey(stored);
      const key = decoded === undefined ? `?${Buffer.from(stored).toString("hex")}` : text(decoded.key);
      return decoded?.namespace === DEFAULT_NAMESPACE || decoded === undefined
        ? key
        : `${decoded.namespace}/${key}`;
    });
    const where = ns.name === DEFAULT_NAMESPACE ? "" : ` (namespace ${ns.name})`;
    for (const problem of listingProblems(labels, own, cluster.sim.nowMs()))
      cluster.problem(`${problem}${where}`);
  }
}

/** The stored keys one namespace lists, page by page; undefined (and a problem) if a page failed. */
async function listNamespace(
  cluster: SimCluster,
  namespace: string,
  quorum: { n: number; r: number } | undefined,
): Promise<Uint8Array[] | undefined> {
  const { sim } = cluster;
  const node = cluster.serving[0]?.serving;
  if (node === undefined) return [];
  const listed: Uint8Array[] = [];
  let after: Uint8Array | undefined;
  for (let page = 0; page < 10_000; page++) {
    let result: { keys: Uint8Array[]; next: Uint8Array | null } | undefined;
    let error: unknown;
    let done = false;
    node
      .listKeys({
        range: namespaceRange(namespace, new Uint8Array(0)),
        after,
        limit: 7,
        r: quorum?.r ?? N,
        ...(quorum === undefined ? {} : { n: quorum.n }),
        timeoutMs: 5000,
      })
      .then(
        (p) => {
          result = p;
          done = true;
        },
        (e: unknown) => {
          error = e;
          done = true;
        },
      );
    await sim.runWhile(() => !done, sim.nowMs() + 10_000);
    if (result === undefined) {
      cluster.problem(
        `final listing of ${namespace} failed on page ${page}: ${String(error ?? "no answer")}`,
      );
      return undefined;
    }
    listed.push(...result.keys);
    if (result.next === null) break;
    after = result.next;
  }
  return listed;
}
