import { QuorumError } from "../errors.js";
import { compareBytes } from "../storage/index.js";
import { batchProblem } from "./batch-check.js";
import { type CoveragePlan, coveragePlan, isCoverageGap } from "./coverage.js";
import type { ListBatch, ListBatchRequest, ListedKey, ListPage, StoredKeyRange } from "./interface.js";

export interface KeyListerOptions {
  /** Keys one node is asked for at once (each answer is also bounded in bytes, local-keys.ts). */
  batchKeysMax: number;
  /** Keys whose replicas disagree, resolved by quorum reads at once. */
  resolveConcurrencyMax: number;
}

export const defaultKeyListerOptions: KeyListerOptions = { batchKeysMax: 1000, resolveConcurrencyMax: 16 };

export interface KeyListerDeps {
  selfId: string;
  /** The current ring's owners and replication factor, or undefined before there is a ring. */
  ring(): { owners: readonly string[]; n: number } | undefined;
  isUp(id: string): boolean;
  partitionOf(key: Uint8Array): number;
  /** One batch from a node (this one included); rejects on failure or timeout. */
  batch(nodeId: string, request: ListBatchRequest, timeoutMs: number): Promise<ListBatch>;
  /** Whether a key has a live value, read as a client read would at `r` (and repaired). */
  resolve(key: Uint8Array, r: number, timeoutMs: number): Promise<boolean>;
  nowMs(): number;
  /** A node answered with a batch the merge cannot use (batch-check.ts); the page fails. */
  onBadBatch(nodeId: string, problem: string): void;
}

export interface ListPageRequest {
  range: StoredKeyRange;
  after: Uint8Array | undefined;
  limit: number;
  /** Home replicas asked per partition. */
  r: number;
  /** The listed namespace's replica count (its keys' home replicas are the first n); absent: the ring's N. */
  n?: number;
  timeoutMs: number;
}

/**
 * One page of a listing: a merge, in key order, of what the coverage plan's nodes hold. A key
 * every asked replica of its partition holds live is listed; one that none holds live is not;
 * one they disagree on (a write or a delete that has not reached every replica) is read at `r`
 * as a client would read it, so a page lists what reads would find. Memory is bounded by the
 * batch per node and the page: nodes are asked again, after the last key they sent, as their
 * answers are used up.
 */
export class KeyLister {
  constructor(
    private readonly deps: KeyListerDeps,
    private readonly options: KeyListerOptions = defaultKeyListerOptions,
  ) {}

  async page(request: ListPageRequest): Promise<ListPage> {
    const ring = this.deps.ring();
    if (ring === undefined) throw new QuorumError(request.r, 0, "read");
    const plan = coveragePlan(ring.owners, request.n ?? ring.n, request.r, this.deps.selfId, (id) =>
      this.deps.isUp(id),
    );
    if (isCoverageGap(plan)) throw new QuorumError(request.r, plan.up, "read");
    const deadlineMs = this.deps.nowMs() + request.timeoutMs;
    const sources = [...plan.byNode].map(([node, partitions]) => new NodeSource(node, partitions));
    const listed: Uint8Array[] = [];
    let pending: Uint8Array[] = [];
    const settle = async (): Promise<void> => {
      const lives = await this.resolveAll(pending, request.r, deadlineMs);
      pending.forEach((key, i) => {
        if (lives[i] === true) listed.push(key);
      });
      pending = [];
    };
    for (;;) {
      if (listed.length + pending.length >= request.limit) {
        await settle();
        // Keys that were in doubt may have turned out deleted: then the page goes on.
        if (listed.length >= request.limit) break;
        continue;
      }
      await this.refill(sources, request, deadlineMs);
      const least = leastHead(sources);
      if (least === undefined) {
        await settle();
        return { keys: listed, next: null };
      }
      const reports: ListedKey[] = [];
      for (const s of sources) {
        const head = s.head;
        if (head !== undefined && compareBytes(head.key, least) === 0) {
          reports.push(head);
          s.advance();
        }
      }
      const verdict = judge(reports, plan, this.deps.partitionOf(least));
      if (verdict === "live") {
        // Keys in doubt come before this one: settle them first, so the page stays in order.
        if (pending.length > 0) await settle();
        listed.push(least);
      } else if (verdict === "disagree") {
        pending.push(least);
        if (pending.length >= this.options.resolveConcurrencyMax) await settle();
      }
    }
    return { keys: listed, next: listed[listed.length - 1] ?? null };
  }

  private async refill(sources: NodeSource[], request: ListPageRequest, deadlineMs: number): Promise<void> {
    const empty = sources.filter((s) => s.needsBatch);
    if (empty.length === 0) return;
    const timeoutMs = remaining(deadlineMs, this.deps.nowMs(), request.r);
    await Promise.all(
      empty.map(async (s) => {
        const asked: ListBatchRequest = {
          partitions: s.partitions,
          range: request.range,
          after: s.cursor ?? request.after,
          limit: Math.min(this.options.batchKeysMax, request.limit + 1),
        };
        const batch = await this.deps.batch(s.node, asked, timeoutMs);
        const problem = batchProblem(asked, batch, (key) => this.deps.partitionOf(key));
        if (problem !== undefined) {
          this.deps.onBadBatch(s.node, problem);
          throw new QuorumError(request.r, 0, "read");
        }
        s.take(batch);
      }),
    );
  }

  private async resolveAll(keys: Uint8Array[], r: number, deadlineMs: number): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const timeoutMs = remaining(deadlineMs, this.deps.nowMs(), r);
    return Promise.all(keys.map((key) => this.deps.resolve(key, r, timeoutMs)));
  }
}

/** What the asked replicas of the key's partition say: all live, none live, or not agreed. */
function judge(
  reports: readonly ListedKey[],
  plan: CoveragePlan,
  partition: number,
): "live" | "dead" | "disagree" {
  const asked = plan.replicasOf[partition]?.length ?? 0;
  const live = reports.filter((r) => r.live).length;
  if (live === 0) return reports.length === asked ? "dead" : "disagree";
  return live === asked ? "live" : "disagree";
}

function leastHead(sources: readonly NodeSource[]): Uint8Array | undefined {
  let least: Uint8Array | undefined;
  for (const s of sources) {
    const head = s.head;
    if (head !== undefined && (least === undefined || compareBytes(head.key, least) < 0)) least = head.key;
  }
  return least;
}

/** Time left for the page; none left fails it as a read that timed out would. */
function remaining(deadlineMs: number, nowMs: number, r: number): number {
  const left = deadlineMs - nowMs;
  if (left <= 0) throw new QuorumError(r, 0, "read");
  return left;
}

/** One node's answers for its partitions, consumed in order, asked again when used up. */
class NodeSource {
  private keys: ListedKey[] = [];
  private index = 0;
  private more = true;
  /** The last key this node sent: the next batch starts after it. */
  cursor: Uint8Array | undefined;

  constructor(
    readonly node: string,
    readonly partitions: number[],
  ) {}

  get head(): ListedKey | undefined {
    return this.keys[this.index];
  }

  get needsBatch(): boolean {
    return this.index >= this.keys.length && this.more;
  }

  advance(): void {
    this.index++;
  }

  take(batch: ListBatch): void {
    this.keys = batch.keys;
    this.index = 0;
    // An empty batch that claims more would ask again for ever: treat it as the end.
    this.more = batch.more && batch.keys.length > 0;
    const last = batch.keys[batch.keys.length - 1];
    if (last !== undefined) this.cursor = last.key;
  }
}
