import type { Clock } from "../clock/clock.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { LivenessStatus } from "../core/membership/failure-detector.js";
import { causalDigest, DigestCache, MerkleMessageError, TicTacTree } from "../core/merkle/index.js";
import type { ReplicaCounts } from "../core/namespace/index.js";
import type { RingView } from "../core/ring/ring-view.js";
import { decodePeerObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import { type HandlerEntry, handler, type MemberClient, peerMessages } from "../protocol/index.js";
import type { StorageEngine } from "../storage/engine.js";
import { splitObjectKey } from "../storage/object-key.js";
import {
  digestOrUndefined,
  type ExchangeOptions,
  exchangePartition,
  keysIn,
  objectsFor,
  type TreeClass,
} from "./anti-entropy-exchange.js";
import type { ClusterView } from "./cluster-view.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface AntiEntropyOptions extends ExchangeOptions {
  /** One round (every partition shared with one peer, compared by their roots) starts per interval. */
  exchangeIntervalMs: number;
  /**
   * The pace while nothing changed here since every peer was last found in sync (or repaired)
   * and no peer came back up: a tick then costs a look at a counter, and a round with the next
   * peer runs only this often (never more often than exchangeIntervalMs). A write taken by some
   * other replica is found by that replica's rounds, which run at the fast pace while it has
   * changes its peers were not compared against; this round is the net for the rest (a store
   * changed behind the replica's back).
   */
  idleExchangeIntervalMs: number;
  /** Differing partitions of a round exchanged at once. */
  partitionsConcurrentMax: number;
  /** Recently changed keys whose tree digest is kept (0: none). */
  digestCacheEntriesMax: number;
}

export interface AntiEntropyDeps {
  selfId: string;
  storage: StorageEngine;
  replica: LocalReplica;
  peers: MemberClient;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  onExchange: (partition: number, keysRepaired: number) => void;
  /** Tombstones older than this may have been reaped elsewhere: a missing copy is not repaired. */
  tombstoneGraceMs: number;
  /** Each key's replica count: keys of one count have their own trees, shared by their own replicas. */
  replicaCounts: ReplicaCounts;
  /** The cluster's N: its trees are named by partition alone on the wire (older nodes know no other). */
  clusterN: number;
  /**
   * A peer pushed a key this node is not among the first n of (the peer judged by an n this
   * node no longer has for its namespace): reclaim looks at the partition again.
   */
  onForeignCopy?: (partition: number) => void;
}

const ROOT_BYTES = 8;

/** Tree ids: partition * TREE_N_STRIDE + n (n is at most 64). */
const TREE_N_STRIDE = 128;

/**
 * Active anti-entropy: a TicTac Merkle tree per partition and replica count (the keys of a
 * namespace with its own n are compared only between their own n home replicas), kept up to date
 * on every committed write and rebuilt from the engine at start-up and whenever some namespace's
 * n changes. Each round takes one peer and compares the roots of every tree both are home
 * replicas of, one request per replica count (one in a cluster without such namespaces), so
 * trees in sync cost 8 bytes each; the partitions that differ are exchanged at once (anti-entropy-exchange.ts),
 * repairing both sides. A peer that just came back up, or whose last round still found
 * differences it repaired, is taken first until a round repairs nothing: a replica that missed writes or lost
 * its data is refilled in seconds, not after a walk over every partition.
 */
export class AntiEntropy {
  private readonly task: PeriodicTask;
  private readonly trees = new Map<number, TicTacTree>();
  private readonly lastExchangeMs = new Map<number, number>();
  /** Per peer, per tree id: when the two were last found in sync or exchanged. For the full-pass age. */
  private readonly comparedMs = new Map<string, Map<number, number>>();
  private readonly lastStatus = new Map<string, LivenessStatus>();
  /** Peers to take before the round-robin: back up recently, or repaired at their last round. */
  private readonly urgent: string[] = [];
  private cursor = 0;
  /** Committed changes to this node's objects since start: what "changed here" means. */
  private changes = 0;
  /** Per peer: `changes` when a round with it began that found every shared partition in sync or repaired. */
  private readonly syncedAtChange = new Map<string, number>();
  /** When the last round with a peer started (idle pace). */
  private lastRoundMs = Number.NEGATIVE_INFINITY;
  /** The trees this node shares with each peer (peer -> n -> partitions), per ring and replica counts. */
  private sharedCache:
    | { ring: RingView; countsVersion: number; shared: Map<string, Map<number, number[]>> }
    | undefined;
  /** The replica counts' version the trees were built under. */
  private treesAtVersion = -1;
  /** The trees do not match storage (an n change, a tree out of step): rebuilt before use. */
  private stale = false;
  /** The digest each recently changed key put in its tree (core/merkle/digest-cache.ts). */
  private readonly lastDigests: DigestCache;

  constructor(
    private readonly deps: AntiEntropyDeps,
    private readonly options: AntiEntropyOptions,
  ) {
    this.lastDigests = new DigestCache(this.options.digestCacheEntriesMax);
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.exchangeIntervalMs,
      () => this.round(),
      (error: unknown) => this.deps.logger.debug({ err: error }, "anti-entropy round failed"),
    );
  }

  /** Builds every tree from the objects in storage; then listens to every change of the replica. */
  rebuild(): number {
    const keys = this.buildTrees();
    this.deps.replica.onChange((partition, key, before, after) => {
      this.changes += 1;
      // Some namespace's n changed since the trees were built: a key of it sits in the old
      // count's tree, so its `before` may not be taken out of the new count's one. The trees
      // are stale until rebuilt from storage (treesCurrent), and changes until then are in it.
      if (this.stale || this.treesAtVersion !== this.deps.replicaCounts.version) {
        this.stale = true;
        this.lastDigests.clear();
        return;
      }
      try {
        // What the key's last change put in the tree, if still cached, is what comes out now.
        const cached = this.lastDigests.take(key);
        const afterDigest = after === undefined ? undefined : causalDigest(after);
        this.tree(partition, this.deps.replicaCounts.nOf(key)).update(
          key,
          before === undefined ? undefined : (cached ?? causalDigest(before)),
          afterDigest,
        );
        this.lastDigests.put(key, afterDigest);
      } catch (error) {
        // A tree that disagrees with storage is rebuilt rather than failing the write.
        this.stale = true;
        this.lastDigests.clear();
        this.deps.logger.error({ err: error, partition }, "anti-entropy tree out of step: rebuilding");
      }
    });
    return keys;
  }

  /**
   * Every tree afresh from storage. Done again when some namespace's n changes (rare: only while
   * it holds no key, but a write taken under the old n may sit in the old count's tree).
   */
  private buildTrees(): number {
    this.trees.clear();
    this.lastDigests.clear();
    this.treesAtVersion = this.deps.replicaCounts.version;
    let keys = 0;
    let corrupt = 0;
    for (const [storageKey, bytes] of this.deps.storage.scan("objects")) {
      const { partition, key } = splitObjectKey(storageKey);
      const digest = digestOrUndefined(bytes);
      if (digest === undefined) {
        // Left out of the tree and skipped by exchanges; reported here for the operator.
        corrupt += 1;
        if (corrupt <= 10)
          this.deps.logger.error(
            { partition, key: Buffer.from(key).toString("hex").slice(0, 128) },
            "a stored object does not decode",
          );
        continue;
      }
      this.tree(partition, this.deps.replicaCounts.nOf(key)).update(key, undefined, digest);
      keys += 1;
    }
    if (corrupt > 0) this.deps.logger.error({ corrupt }, "stored objects that do not decode were skipped");
    return keys;
  }

  /**
   * Forgets what this node keeps about a partition it no longer holds (reclaim emptied it): its
   * tree and exchange times, so a partition that later returns here starts from an empty range.
   */
  forgetPartition(partition: number): void {
    this.lastDigests.clear();
    for (let n = 1; n < TREE_N_STRIDE; n++) {
      const id = treeId(partition, n);
      this.trees.delete(id);
      for (const times of this.comparedMs.values()) times.delete(id);
    }
    this.lastExchangeMs.delete(partition);
  }

  /** Seconds since each home partition was last found in sync with, or exchanged with, a peer. */
  exchangeAges(): Map<number, number> {
    const now = this.deps.clock.nowMs();
    return new Map([...this.lastExchangeMs].map(([p, t]) => [p, (now - t) / 1000]));
  }

  /**
   * Seconds since every partition this node is a home replica of was last compared with every
   * other home replica of it (found in sync or exchanged): the age of the last full pass. Null
   * while some such pair was never compared since start (or there is no ring yet).
   */
  fullPassAgeSeconds(): number | null {
    const ring = this.deps.view.ring();
    if (ring === undefined) return null;
    let oldestMs = Number.POSITIVE_INFINITY;
    for (const [peer, byN] of this.sharedWith(ring)) {
      for (const [n, partitions] of byN) {
        for (const p of partitions) {
          const at = this.comparedMs.get(peer)?.get(treeId(p, n));
          if (at === undefined) return null;
          oldestMs = Math.min(oldestMs, at);
        }
      }
    }
    // A node that shares no partition with anyone (a cluster of one) has nothing to compare.
    if (oldestMs === Number.POSITIVE_INFINITY) return null;
    return Math.max(0, this.deps.clock.nowMs() - oldestMs) / 1000;
  }

  private markCompared(peer: string, partition: number, n: number, atMs: number): void {
    let byTree = this.comparedMs.get(peer);
    if (byTree === undefined) {
      byTree = new Map();
      this.comparedMs.set(peer, byTree);
    }
    byTree.set(treeId(partition, n), atMs);
    this.lastExchangeMs.set(partition, atMs);
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** The peer messages this subsystem answers: a peer's exchange requests about partitions of ours. */
  handlers(): HandlerEntry[] {
    const { storage, replica, logger } = this.deps;
    return [
      handler(peerMessages.aaeRoots, (r) => {
        this.treesCurrent();
        const n = r.n ?? this.deps.clusterN;
        const roots = new Uint8Array(ROOT_BYTES * r.partitions.length);
        for (const [i, p] of r.partitions.entries()) roots.set(this.tree(p, n).root(), ROOT_BYTES * i);
        return { roots };
      }),
      handler(peerMessages.aaeBranches, (r) => ({
        branches: this.tree(r.partition, r.n ?? this.deps.clusterN).branches(),
      })),
      handler(peerMessages.aaeLeaves, (r) => ({
        leaves: this.tree(r.partition, r.n ?? this.deps.clusterN).leaves(r.branches),
      })),
      handler(peerMessages.aaeKeys, (r) => ({
        keys: keysIn(
          storage,
          this.options,
          r.partition,
          new Set(r.segments),
          this.treeClass(r.n ?? this.deps.clusterN).holds,
        ),
      })),
      handler(peerMessages.aaeFetch, (r) => ({
        items: objectsFor(storage, r.partition, r.keys, this.options.batchBytesMax),
      })),
      handler(peerMessages.aaePush, async (r, from) => {
        const merges = r.items.flatMap(([key, bytes]) => {
          try {
            return [replica.merge(r.partition, key, decodePeerObject(bytes))];
          } catch {
            logger.warn(
              { from: from.id, partition: r.partition },
              "anti-entropy push: an object that does not decode was skipped",
            );
            return [];
          }
        });
        await Promise.all(merges);
        const ring = this.deps.view.ring();
        const foreign =
          ring !== undefined &&
          r.items.some(
            ([key]) => !ring.home(r.partition, this.deps.replicaCounts.nOf(key)).includes(this.deps.selfId),
          );
        if (foreign) this.deps.onForeignCopy?.(r.partition);
        return {};
      }),
    ];
  }

  private tree(partition: number, n: number): TicTacTree {
    const id = treeId(partition, n);
    let tree = this.trees.get(id);
    if (tree === undefined) {
      tree = new TicTacTree({ segments: this.options.treeSegments });
      this.trees.set(id, tree);
    }
    return tree;
  }

  /** The keys one replica count's trees hold, and how the tree messages name it. */
  private treeClass(n: number): TreeClass {
    const counts = this.deps.replicaCounts;
    return { n: n === this.deps.clusterN ? undefined : n, holds: (key) => counts.nOf(key) === n };
  }

  /**
   * Whether the trees are current, rebuilding them first if some namespace's n changed since
   * they were built (or one fell out of step). A rebuild waits until no change of the replica is
   * unreported: a change already in storage but not yet heard would otherwise count twice.
   */
  private treesCurrent(): boolean {
    if (!this.stale && this.treesAtVersion === this.deps.replicaCounts.version) return true;
    this.stale = true;
    if (this.deps.replica.transitionsUnreported > 0) return false;
    const keys = this.buildTrees();
    this.stale = false;
    this.deps.logger.info({ keys, counts: this.deps.replicaCounts.inUse() }, "anti-entropy trees rebuilt");
    return true;
  }

  /**
   * Every peer sharing a tree with this node (both among the first n of the partition's
   * preference list, for each replica count in use), with those trees, for `ring`.
   */
  private sharedWith(ring: RingView): Map<string, Map<number, number[]>> {
    const countsVersion = this.deps.replicaCounts.version;
    if (this.sharedCache?.ring === ring && this.sharedCache.countsVersion === countsVersion)
      return this.sharedCache.shared;
    const shared = new Map<string, Map<number, number[]>>();
    for (const n of this.deps.replicaCounts.inUse()) {
      for (let p = 0; p < ring.partitions; p++) {
        const home = ring.home(p, n);
        if (!home.includes(this.deps.selfId)) continue;
        for (const peer of home) {
          if (peer === this.deps.selfId) continue;
          let byN = shared.get(peer);
          if (byN === undefined) {
            byN = new Map();
            shared.set(peer, byN);
          }
          const list = byN.get(n);
          if (list === undefined) byN.set(n, [p]);
          else list.push(p);
        }
      }
    }
    // Peers no longer sharing a partition (gone from the ring) are forgotten: bounded by the ring.
    for (const gone of [...this.comparedMs.keys()].filter((id) => !shared.has(id)))
      this.comparedMs.delete(gone);
    for (const gone of [...this.syncedAtChange.keys()].filter((id) => !shared.has(id)))
      this.syncedAtChange.delete(gone);
    this.sharedCache = { ring, countsVersion, shared };
    return shared;
  }

  /** One round: the next peer's shared trees compared by root, the differing ones exchanged. */
  private async round(): Promise<void> {
    const ring = this.deps.view.ring();
    if (ring === undefined) return;
    // Stale trees would find differences that are not there: no round until they are rebuilt.
    if (!this.treesCurrent()) return;
    const shared = this.sharedWith(ring);
    const peer = this.pickPeer([...shared.keys()]);
    if (peer === undefined) return;
    const byN = shared.get(peer) as Map<number, number[]>;
    const changesAtStart = this.changes;
    this.lastRoundMs = this.deps.clock.nowMs();
    const queue: { partition: number; n: number }[] = [];
    for (const [n, partitions] of byN) {
      const treeClass = this.treeClass(n);
      const { roots } = await this.deps.peers.request(
        peer,
        peerMessages.aaeRoots,
        { partitions, ...(treeClass.n === undefined ? {} : { n: treeClass.n }) },
        { timeoutMs: this.options.requestTimeoutMs },
      );
      if (roots.length !== ROOT_BYTES * partitions.length)
        throw new MerkleMessageError(
          `${peer} sent ${roots.length} bytes of roots for ${partitions.length} partitions`,
        );
      const now = this.deps.clock.nowMs();
      partitions.forEach((p, i) => {
        const same = Buffer.from(this.tree(p, n).root()).equals(
          roots.subarray(ROOT_BYTES * i, ROOT_BYTES * (i + 1)),
        );
        if (!same) {
          queue.push({ partition: p, n });
          return;
        }
        this.markCompared(peer, p, n, now);
        this.deps.onExchange(p, 0);
      });
    }
    let repairedTotal = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
        const { partition: p, n } = unit;
        try {
          const repaired = await exchangePartition(
            this.exchangeDeps,
            this.options,
            this.tree(p, n),
            p,
            peer,
            this.treeClass(n),
          );
          this.markCompared(peer, p, n, this.deps.clock.nowMs());
          this.deps.onExchange(p, repaired);
          repairedTotal += repaired;
          if (repaired > 0)
            this.deps.logger.info({ partition: p, n, peer, keys: repaired }, "anti-entropy repaired keys");
        } catch (error) {
          failed += 1;
          this.deps.logger.debug({ partition: p, n, peer, err: error }, "anti-entropy exchange failed");
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.partitionsConcurrentMax }, worker));
    // A round that repaired something is followed by another with the same peer until a round
    // repairs nothing: differences that no repair removes (a tombstone reaped on one side only,
    // a corrupt object) must not keep the other peers waiting.
    this.setUrgent(peer, repairedTotal > 0);
    // Every shared tree was in sync or exchanged: nothing changed here since then is news
    // to this peer. Changes during the round (its own repairs among them) are compared next time.
    if (failed === 0) this.syncedAtChange.set(peer, changesAtStart);
  }

  private get exchangeDeps() {
    const { storage, replica, peers, clock, logger, tombstoneGraceMs } = this.deps;
    return {
      storage,
      replica,
      peers,
      clock,
      logger,
      tombstoneGraceMs,
      onCorrupt: (partition: number) =>
        logger.warn({ partition }, "anti-entropy: an object that does not decode was skipped"),
    };
  }

  /**
   * The peer for this round: one that came back up since the last round, or whose last round
   * repaired keys, if any is up; else the next one that is up and has not been compared since
   * the last change here, round-robin; else, once per idleExchangeIntervalMs, the next one that
   * is up; else none (an idle tick).
   */
  private pickPeer(peers: readonly string[]): string | undefined {
    for (const peer of peers) {
      const status = this.deps.view.status(peer);
      const before = this.lastStatus.get(peer);
      this.lastStatus.set(peer, status);
      if (status === "up" && before !== undefined && before !== "up") this.setUrgent(peer, true);
    }
    const urgent = this.urgent.find((p) => peers.includes(p) && this.deps.view.status(p) === "up");
    if (urgent !== undefined) return urgent;
    const up = peers.filter((p) => this.deps.view.status(p) === "up");
    if (up.length === 0) return undefined;
    const behind = up.filter((p) => this.syncedAtChange.get(p) !== this.changes);
    if (behind.length > 0) return behind[this.cursor++ % behind.length];
    if (this.deps.clock.nowMs() - this.lastRoundMs < this.options.idleExchangeIntervalMs) return undefined;
    return up[this.cursor++ % up.length];
  }

  private setUrgent(peer: string, urgent: boolean): void {
    const i = this.urgent.indexOf(peer);
    if (i >= 0) this.urgent.splice(i, 1);
    if (urgent) this.urgent.push(peer);
  }
}

function treeId(partition: number, n: number): number {
  return partition * TREE_N_STRIDE + n;
}
