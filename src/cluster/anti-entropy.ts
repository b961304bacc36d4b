import type { Clock } from "../clock/clock.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { ReplicaAccess } from "../coordinator/replica-access.js";
import { values } from "../core/causality/index.js";
import type { ConflictResolution } from "../core/conflict-mode.js";
import {
  causalDigest,
  differingBranches,
  differingSegments,
  segmentOf,
  TicTacTree,
} from "../core/merkle/index.js";
import { partitionOf } from "../core/partition.js";
import { decodeStoredObject, isTombstoneOnly, type StoredObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import { type HandlerEntry, handler, type MemberClient, peerMessages } from "../protocol/index.js";
import type { StorageEngine } from "../storage/engine.js";
import { partitionRange, splitObjectKey } from "../storage/object-key.js";
import type { ClusterView } from "./cluster-view.js";

export interface AntiEntropyOptions {
  /** One exchange (one partition with one other home replica) starts per interval: the rate limit. */
  exchangeIntervalMs: number;
  /** Keys compared and repaired in one exchange at most; the rest wait for the next round. */
  keysPerExchangeMax: number;
  /** Differing segments whose keys are listed in one exchange at most. */
  segmentsPerExchangeMax: number;
  requestTimeoutMs: number;
  /** Leaf segments per partition tree (a power of two, 64..65536). */
  treeSegments: number;
}

export const defaultAntiEntropyOptions: AntiEntropyOptions = {
  exchangeIntervalMs: 500,
  keysPerExchangeMax: 2000,
  segmentsPerExchangeMax: 64,
  requestTimeoutMs: 5000,
  treeSegments: 256,
};

export interface AntiEntropyDeps {
  selfId: string;
  storage: StorageEngine;
  replica: LocalReplica;
  access: ReplicaAccess;
  peers: MemberClient;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  onExchange: (partition: number, keysRepaired: number) => void;
  /** Tombstones older than this may have been reaped elsewhere: a missing copy is not repaired. */
  tombstoneGraceMs: number;
}

/**
 * Active anti-entropy: a TicTac Merkle tree per partition, kept up to date on every committed
 * write and rebuilt from the engine at start-up; home replicas of a partition compare trees in
 * the background, one exchange per interval, and repair the keys that differ by merging
 * histories in both directions. A replica whose data was lost is refilled this way.
 */
export class AntiEntropy {
  private readonly task: PeriodicTask;
  private readonly trees = new Map<number, TicTacTree>();
  private readonly lastExchangeMs = new Map<number, number>();
  private cursor = 0;

  constructor(
    private readonly deps: AntiEntropyDeps,
    private readonly options: AntiEntropyOptions,
  ) {
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.exchangeIntervalMs,
      () => this.next(),
      (error: unknown) => this.deps.logger.debug({ err: error }, "anti-entropy exchange failed"),
    );
  }

  /** Builds every tree from the objects in storage; then listens to every change of the replica. */
  rebuild(): number {
    let keys = 0;
    for (const [storageKey, bytes] of this.deps.storage.scan("objects")) {
      const { partition, key } = splitObjectKey(storageKey);
      this.tree(partition).update(key, undefined, causalDigest(decodeStoredObject(bytes)));
      keys += 1;
    }
    this.deps.replica.onChange((partition, key, before, after) => {
      this.tree(partition).update(
        key,
        before === undefined ? undefined : causalDigest(before),
        after === undefined ? undefined : causalDigest(after),
      );
    });
    return keys;
  }

  /** Seconds since the last completed exchange of each home partition (undefined: never). */
  exchangeAges(): Map<number, number> {
    const now = this.deps.clock.nowMs();
    return new Map([...this.lastExchangeMs].map(([p, t]) => [p, (now - t) / 1000]));
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** The peer messages this subsystem answers: a peer's exchange requests about one partition of ours. */
  handlers(): HandlerEntry[] {
    return [
      handler(peerMessages.aaeBranches, (r) => ({ branches: this.tree(r.partition).branches() })),
      handler(peerMessages.aaeLeaves, (r) => ({ leaves: this.tree(r.partition).leaves(r.branches) })),
      handler(peerMessages.aaeKeys, (r) => ({ keys: this.keysIn(r.partition, new Set(r.segments)) })),
    ];
  }

  private tree(partition: number): TicTacTree {
    let tree = this.trees.get(partition);
    if (tree === undefined) {
      tree = new TicTacTree({ segments: this.options.treeSegments });
      this.trees.set(partition, tree);
    }
    return tree;
  }

  /** The next (partition, peer) pair, round-robin over this node's home partitions and their other home replicas. */
  private async next(): Promise<void> {
    const ring = this.deps.view.ring();
    if (ring === undefined) return;
    const pairs: [number, string][] = [];
    for (let p = 0; p < ring.partitions; p++) {
      const home = ring.preferenceList(p).slice(0, ring.n);
      if (!home.includes(this.deps.selfId)) continue;
      for (const peer of home) if (peer !== this.deps.selfId) pairs.push([p, peer]);
    }
    if (pairs.length === 0) return;
    const [partition, peer] = pairs[this.cursor++ % pairs.length] as [number, string];
    if (this.deps.view.status(peer) !== "up") return;
    await this.exchange(partition, peer);
  }

  private async exchange(partition: number, peer: string): Promise<void> {
    const tree = this.tree(partition);
    const request = { timeoutMs: this.options.requestTimeoutMs };
    const { branches: theirBranches } = await this.deps.peers.request(
      peer,
      peerMessages.aaeBranches,
      { partition },
      request,
    );
    const branches = differingBranches(tree.branches(), theirBranches);
    let repaired = 0;
    if (branches.length > 0) {
      const { leaves: theirLeaves } = await this.deps.peers.request(
        peer,
        peerMessages.aaeLeaves,
        { partition, branches },
        request,
      );
      const segments = differingSegments(branches, tree.leaves(branches), theirLeaves).slice(
        0,
        this.options.segmentsPerExchangeMax,
      );
      repaired = await this.repairSegments(partition, peer, segments);
    }
    this.lastExchangeMs.set(partition, this.deps.clock.nowMs());
    this.deps.onExchange(partition, repaired);
    if (repaired > 0)
      this.deps.logger.info({ partition, peer, keys: repaired }, "anti-entropy repaired keys");
  }

  /** Lists both sides' keys in the differing segments and merges every key whose digests differ. */
  private async repairSegments(
    partition: number,
    peer: string,
    segments: readonly number[],
  ): Promise<number> {
    const { keys: theirs } = await this.deps.peers.request(
      peer,
      peerMessages.aaeKeys,
      { partition, segments },
      { timeoutMs: this.options.requestTimeoutMs },
    );
    const ours = new Map(
      this.keysIn(partition, new Set(segments)).map(([k, d]) => [Buffer.from(k).toString("hex"), d]),
    );
    const candidates = new Map<string, Uint8Array>();
    for (const [key, digest] of theirs) {
      const id = Buffer.from(key).toString("hex");
      const mine = ours.get(id);
      if (mine === undefined || !Buffer.from(mine).equals(Buffer.from(digest))) candidates.set(id, key);
      ours.delete(id);
    }
    for (const [id] of ours) candidates.set(id, Buffer.from(id, "hex"));
    let repaired = 0;
    for (const key of [...candidates.values()].slice(0, this.options.keysPerExchangeMax)) {
      if (partitionOf(key, this.deps.view.ring()?.partitions ?? 0) !== partition) continue;
      if (await this.repairKey(partition, peer, key)) repaired += 1;
    }
    return repaired;
  }

  /** Merges the two replicas' histories of one key and writes the merge where it adds something. */
  private async repairKey(partition: number, peer: string, key: Uint8Array): Promise<boolean> {
    const timeoutMs = this.options.requestTimeoutMs;
    const theirs = await this.deps.access.read(peer, partition, key, timeoutMs);
    const ours = this.deps.replica.read(partition, key);
    const conflicts = this.deps.replica.conflicts;
    const merged = mergeOptional(conflicts, ours, theirs);
    if (merged === undefined) return false;
    // A side without the key may have reaped this tombstone: copying it back would undo the
    // reaping, and the reaper on the other side would then chase it forever.
    if (
      isTombstoneOnly(merged) &&
      values(merged).every((s) => s.writtenAtMs <= this.deps.clock.nowMs() - this.deps.tombstoneGraceMs)
    ) {
      return false;
    }
    let changed = false;
    if (ours === undefined || !conflicts.same(ours, merged)) {
      await this.deps.replica.merge(partition, key, merged);
      changed = true;
    }
    if (theirs === undefined || !conflicts.same(theirs, merged)) {
      await this.deps.access.replicate(peer, partition, key, merged, timeoutMs);
      changed = true;
    }
    return changed;
  }

  /** (key, causal digest) of every key of a partition that falls in the given segments. */
  private keysIn(partition: number, segments: ReadonlySet<number>): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [storageKey, bytes] of this.deps.storage.scan("objects", partitionRange(partition))) {
      const { key } = splitObjectKey(storageKey);
      if (!segments.has(segmentOf(key, this.options.treeSegments))) continue;
      out.push([key, causalDigest(decodeStoredObject(bytes))]);
      if (out.length >= this.options.keysPerExchangeMax * 4) break;
    }
    return out;
  }
}

function mergeOptional(
  conflicts: ConflictResolution,
  a: StoredObject | undefined,
  b: StoredObject | undefined,
): StoredObject | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return conflicts.merge(a, b);
}
