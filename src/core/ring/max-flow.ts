/**
 * Maximum flow on a small directed graph (Dinic's algorithm). Used to give orphaned partitions to
 * members below their target when each orphan accepts only some members: a maximum flow places as
 * many orphans as any assignment could, where a one-pass greedy can strand the last ones.
 * Deterministic: edges are explored in a fixed order (the reverse of how they were added).
 */
export class FlowNetwork {
  private readonly head: number[];
  private readonly to: number[] = [];
  private readonly capacity: number[] = [];
  private readonly next: number[] = [];

  constructor(readonly nodes: number) {
    this.head = new Array<number>(nodes).fill(-1);
  }

  /** Adds an edge and returns its id, whose flow `flowOn` reads after `maxFlow`. */
  addEdge(from: number, to: number, capacity: number): number {
    const id = this.to.length;
    this.link(from, to, capacity);
    this.link(to, from, 0);
    return id;
  }

  flowOn(edge: number): number {
    return this.capacity[edge ^ 1] as number;
  }

  maxFlow(source: number, sink: number): number {
    let total = 0;
    for (;;) {
      const level = this.levels(source);
      if ((level[sink] as number) < 0) return total;
      const cursor = this.head.slice();
      for (;;) {
        const pushed = this.push(source, sink, Number.POSITIVE_INFINITY, level, cursor);
        if (pushed === 0) break;
        total += pushed;
      }
    }
  }

  private link(from: number, to: number, capacity: number): void {
    this.to.push(to);
    this.capacity.push(capacity);
    this.next.push(this.head[from] as number);
    this.head[from] = this.to.length - 1;
  }

  private levels(source: number): Int32Array {
    const level = new Int32Array(this.nodes).fill(-1);
    level[source] = 0;
    const queue = [source];
    for (let i = 0; i < queue.length; i++) {
      const node = queue[i] as number;
      for (let e = this.head[node] as number; e !== -1; e = this.next[e] as number) {
        const target = this.to[e] as number;
        if ((this.capacity[e] as number) > 0 && (level[target] as number) < 0) {
          level[target] = (level[node] as number) + 1;
          queue.push(target);
        }
      }
    }
    return level;
  }

  private push(node: number, sink: number, limit: number, level: Int32Array, cursor: number[]): number {
    if (node === sink) return limit;
    for (; (cursor[node] as number) !== -1; cursor[node] = this.next[cursor[node] as number] as number) {
      const e = cursor[node] as number;
      const target = this.to[e] as number;
      if ((this.capacity[e] as number) <= 0 || level[target] !== (level[node] as number) + 1) continue;
      const pushed = this.push(target, sink, Math.min(limit, this.capacity[e] as number), level, cursor);
      if (pushed > 0) {
        this.capacity[e] = (this.capacity[e] as number) - pushed;
        this.capacity[e ^ 1] = (this.capacity[e ^ 1] as number) + pushed;
        return pushed;
      }
    }
    return 0;
  }
}
