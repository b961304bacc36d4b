import type { Clock } from "../clock/clock.js";
import type { RoundOutcome } from "../clock/idle-backoff.js";
import { PeriodicTask } from "../clock/periodic-task.js";
import type { LocalReplica } from "../coordinator/local-replica.js";
import type { MemberRecord, TransferProgress } from "../core/membership/cluster-state.js";
import { type ReplicaCounts, uniformReplicaCounts } from "../core/namespace/index.js";
import { partitionOf } from "../core/partition.js";
import { type PartitionGain, partitionGains } from "../core/ring/index.js";
import { decodePeerObject, type StoredObject } from "../core/stored-object.js";
import type { Logger } from "../log/logger.js";
import {
  type HandlerEntry,
  handler,
  type MemberClient,
  peerMessages,
  type ReplyOut,
  type RequestOut,
} from "../protocol/index.js";
import type { StorageEngine } from "../storage/engine.js";
import { partitionScan } from "../storage/object-key.js";
import type { ClusterView } from "./cluster-view.js";
import { TransferCursors } from "./transfer-cursor.js";
import { chooseSources } from "./transfer-sources.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface TransferOptions {
  /** How often the node checks whether it must receive partitions. */
  intervalMs: number;
  /**
   * The slowest check pace while no ring change is pending: there is nothing to receive then,
   * and a change (the gossiper's onChange, `ringChanged`) brings the pace back at once.
   */
  idleIntervalMaxMs: number;
  /** Partitions received at once. */
  partitionsConcurrentMax: number;
  /** Keys per streamed batch (one request). */
  batchKeysMax: number;
  /** A batch's encoded objects stop growing past this many bytes (one large value still fits). */
  batchBytesMax: number;
  requestTimeoutMs: number;
}

export interface TransferDeps {
  selfId: string;
  /** The cluster's N, for a ring of fewer distinct owners the ring's own. */
  n: number;
  partitions: number;
  updateSelf: (change: (self: MemberRecord) => MemberRecord) => Promise<void>;
  storage: StorageEngine;
  replica: LocalReplica;
  /** Only `request` is used (a test hands a fake). */
  peers: Pick<MemberClient, "request">;
  view: ClusterView;
  clock: Clock;
  logger: Logger;
  /** A losing replica down this long is read around (--join-timeout-ms, transfer-sources.ts). */
  joinTimeoutMs: number;
  /**
   * Each key's replica count (its namespace's n): a node receives a partition's keys of the
   * counts whose first n it enters. Absent: every key has the ring's N.
   */
  replicaCounts?: ReplicaCounts;
}

/** A filtered scan reads at most this many keys per key it may return, so one batch stays bounded. */
const SCAN_KEYS_PER_LIMIT = 16;

/**
 * Ownership transfer: when the ring has a pending `next`, this node streams every partition it
 * gains from the partition's current home replicas (all that are up, merging, so one missing
 * write on one source is covered by another), then reports the ring version it is ready for.
 * Partitions already received for a version are not fetched again after a failed round, nor
 * after a restart: the partitions received and, per partition and source, the last key merged
 * are persisted (transfer-cursor.ts), so a restarted node resumes where it stopped. What it
 * missed while down behind a cursor reaches it as hints and through anti-entropy.
 *
 * With namespaces of their own n, what a node gains of a partition is the keys of the replica
 * counts whose first n it enters (core/ring/transfers.ts partitionGains): a node moving from
 * position 4 to 3 gains the N=3 keys but already holds those of an n=5 namespace. The sources
 * are asked for those counts only.
 */
export class PartitionTransfer {
  private readonly task: PeriodicTask;
  private job: { version: number; done: Set<number>; cursors: Map<string, Uint8Array> } | undefined;
  private readonly cursors: TransferCursors;
  /** Whether the stored cursors were cleared since the last change completed. */
  private cleared = false;
  private keys = 0;
  private bytes = 0;
  /** Objects that did not decode and were skipped, since this node started. */
  skipped = 0;
  /** Partitions this node resumed from a persisted cursor (or found received) after a restart. */
  resumed = 0;
  private readonly counts: ReplicaCounts;

  constructor(
    private readonly deps: TransferDeps,
    private readonly options: TransferOptions,
  ) {
    this.cursors = new TransferCursors(this.deps.storage);
    this.counts = this.deps.replicaCounts ?? uniformReplicaCounts(this.deps.n);
    this.task = new PeriodicTask(
      this.deps.clock,
      this.options.intervalMs,
      () => this.check(),
      (error: unknown) => this.deps.logger.warn({ err: error }, "partition transfer round failed"),
      this.options.idleIntervalMaxMs,
    );
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** The ring or a membership state changed: a change may be pending now, so back to the fast pace. */
  ringChanged(): void {
    this.task.kick();
  }

  /** The peer messages this subsystem answers. */
  handlers(): HandlerEntry[] {
    return [handler(peerMessages.xferScan, (r) => this.scan(r))];
  }

  /**
   * Serves one batch of a partition to a node receiving it: with `n`, only keys of those replica
   * counts, reading at most SCAN_KEYS_PER_LIMIT x limit keys; `last` is the last key read, where
   * the next batch starts (it may be past the last item).
   */
  private scan({ partition, after, limit, n }: RequestOut<typeof peerMessages.xferScan>) {
    const counts = n === undefined ? undefined : new Set(n);
    const step = partitionScan(
      this.deps.storage,
      partition,
      after ?? undefined,
      (key) => counts === undefined || counts.has(this.counts.nOf(key)),
      { itemsMax: limit, scannedMax: limit * SCAN_KEYS_PER_LIMIT, bytesMax: this.options.batchBytesMax },
    );
    const last = counts === undefined || step.last === undefined ? {} : { last: step.last };
    return { items: step.items, done: step.end, ...last };
  }

  private async check(): Promise<RoundOutcome> {
    const state = this.deps.view.state();
    const ring = state.ring;
    const self = state.members.find((m) => m.id === this.deps.selfId);
    if (ring === null || self === undefined) return "busy";
    if (ring.next === null) {
      if (!this.cleared) {
        this.cleared = true;
        await this.cursors.clear();
      }
      // Nothing to receive until a change is planned, and planning one calls ringChanged.
      return "idle";
    }
    this.cleared = false;
    if (self.transfer.version >= ring.version) return "busy";
    const next = ring.next;
    const counts = this.counts.inUse();
    if (this.job?.version !== ring.version) {
      const stored = await this.cursors.load(ring.version);
      this.job = stored;
      this.keys = 0;
      this.bytes = 0;
      if (stored.done.size > 0 || stored.cursors.size > 0) {
        this.resumed += stored.done.size;
        this.deps.logger.info(
          { version: ring.version, partitionsDone: stored.done.size, cursors: stored.cursors.size },
          "partition transfer resumed from persisted cursors",
        );
      }
    }
    const job = this.job;
    const gained = partitionGains(ring.owners, next, counts, this.deps.selfId).filter(
      (g) => !job.done.has(g.partition),
    );
    await this.report({
      version: self.transfer.version,
      remaining: gained.length,
      keys: this.keys,
      bytes: this.bytes,
    });
    const queue = [...gained];
    const worker = async (): Promise<void> => {
      for (let gain = queue.shift(); gain !== undefined; gain = queue.shift()) {
        if (this.deps.view.state().ring?.version !== job.version) return;
        const p = gain.partition;
        const home = gain.holders;
        const staying = home.filter((id) => !gain.losing.includes(id));
        const member = (id: string) => this.deps.view.state().members.find((m) => m.id === id);
        const { sources, losing, readAround, ready } = chooseSources(home, staying, {
          selfId: this.deps.selfId,
          member,
          status: (id) => this.deps.view.status(id),
          downForMs: (id) => this.deps.view.downForMs(id),
          joinTimeoutMs: this.deps.joinTimeoutMs,
        });
        if (!ready) continue;
        // A source that has not adopted the pending ring yet could still take writes it does not
        // copy to this node: wait for it (next round) rather than miss them.
        const knows = (id: string): boolean => (member(id)?.ringVersion ?? 0) >= job.version;
        if (!sources.every(knows)) continue;
        if (readAround.length > 0)
          this.deps.logger.warn(
            { partition: p, dead: readAround, sources, joinTimeoutMs: this.deps.joinTimeoutMs },
            "partition transfer reads around a losing replica down for the join timeout; hints and anti-entropy bring the rest",
          );
        let received = false;
        let missed = false;
        for (const source of sources) {
          try {
            await this.pull(p, source, job, countsToAsk(gain, counts));
            received = true;
          } catch (error) {
            missed ||= losing.includes(source);
            this.deps.logger.info(
              { partition: p, source, err: error },
              "partition transfer from one source failed",
            );
          }
        }
        if (received && !missed) {
          await this.cursors.finish(job.version, p, sources);
          job.done.add(p);
          this.deps.logger.info({ partition: p, version: job.version }, "partition received");
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.partitionsConcurrentMax }, worker));
    const remaining = partitionGains(ring.owners, next, this.counts.inUse(), this.deps.selfId).filter(
      (g) => !job.done.has(g.partition),
    ).length;
    const complete = remaining === 0 && this.deps.view.state().ring?.version === job.version;
    await this.report({
      version: complete ? job.version : self.transfer.version,
      remaining,
      keys: this.keys,
      bytes: this.bytes,
    });
    if (complete)
      this.deps.logger.info(
        { version: job.version, partitions: job.done.size, keys: this.keys, bytes: this.bytes },
        "handoff done",
      );
    return "busy";
  }

  /** Streams one partition from one source and merges every key into this replica. */
  private async pull(
    partition: number,
    source: string,
    job: { version: number; cursors: Map<string, Uint8Array> },
    counts: readonly number[] | undefined,
  ): Promise<void> {
    const id = TransferCursors.cursorId(partition, source);
    let after: Uint8Array | null = job.cursors.get(id) ?? null;
    if (after !== null) {
      this.resumed += 1;
      this.deps.logger.info(
        { partition, source, version: job.version },
        "partition transfer resumes a partition from its cursor",
      );
    }
    for (;;) {
      const reply: ReplyOut<typeof peerMessages.xferScan> = await this.deps.peers.request(
        source,
        peerMessages.xferScan,
        {
          partition,
          after,
          limit: this.options.batchKeysMax,
          ...(counts === undefined ? {} : { n: [...counts] }),
        },
        { timeoutMs: this.options.requestTimeoutMs },
      );
      for (const [key, bytes] of reply.items) {
        if (partitionOf(key, this.deps.partitions) !== partition)
          throw new Error(`key of another partition from ${source}`);
        after = key;
        let object: StoredObject;
        try {
          object = decodePeerObject(bytes);
        } catch (error) {
          // One corrupt object on the source must not stall the partition (and the ring change)
          // for ever: it is skipped and reported; anti-entropy compares the key again later.
          this.skipped += 1;
          this.deps.logger.warn(
            { partition, source, key: Buffer.from(key).toString("hex").slice(0, 128), err: error },
            "partition transfer: an object that does not decode was skipped",
          );
          continue;
        }
        await this.deps.replica.merge(partition, key, object);
        this.keys += 1;
        this.bytes += bytes.length;
      }
      // A filtered batch read past its last item: the next one starts there.
      if (reply.last !== undefined) {
        if (partitionOf(reply.last, this.deps.partitions) !== partition)
          throw new Error(`cursor of another partition from ${source}`);
        after = reply.last;
      }
      // Every merge above is durable: a restart may begin after the last of them.
      if (after !== null && (reply.items.length > 0 || reply.last !== undefined)) {
        await this.cursors.advance(job.version, partition, source, after);
        job.cursors.set(id, after);
      }
      if (reply.done) return;
      if (reply.items.length === 0 && reply.last === undefined)
        throw new Error(`empty batch that is not the end from ${source}`);
    }
  }

  private async report(progress: TransferProgress): Promise<void> {
    await this.deps.updateSelf((self) => ({ ...self, transfer: progress }));
  }
}

/** The counts to ask a source for: none (every key) when the gain covers every count in use. */
function countsToAsk(gain: PartitionGain, inUse: readonly number[]): readonly number[] | undefined {
  return inUse.every((n) => gain.counts.includes(n)) ? undefined : gain.counts;
}
