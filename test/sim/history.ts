import { createHash, type Hash } from "node:crypto";

export type OpKind = "get" | "put" | "delete";

/**
 * ok: acknowledged. fail: refused before anything was written (certainly no effect).
 * unknown: no answer, or an error after which the write may still have been applied anywhere.
 */
export type Outcome = "ok" | "fail" | "unknown";

/** One client operation, from invocation to its outcome. */
export interface Op {
  readonly id: number;
  readonly client: number;
  readonly kind: OpKind;
  readonly key: string;
  /** The node the client asked. */
  readonly node: string;
  readonly invokeMs: number;
  /** When the client saw the outcome (for `unknown`: when it gave up waiting). */
  completeMs: number | undefined;
  outcome: Outcome | undefined;
  /** put: the (unique) value written. */
  readonly value: string | undefined;
  /**
   * put / delete: the read whose context the write carried (it supersedes exactly the values that
   * read returned); null for a blind write or a delete without context.
   */
  readonly contextFrom: number | null;
  /** put: the time to live it asked for (seconds), if any. */
  readonly ttlS?: number;
  /** get: the live values read (sorted); undefined until it completed ok. */
  values: string[] | undefined;
  /** get: the context the read returned (encoded, as a client holds it). */
  context: string | undefined;
  error: string | undefined;
}

/** Lines kept for printing when a run fails (the hash covers all of them). */
const TAIL_LINES_MAX = 400;

/**
 * The run's event trace: every fault, node event and client operation with its virtual time.
 * Two runs of one seed must produce byte-identical traces; the hash is what is compared.
 */
export class Trace {
  private readonly hash: Hash = createHash("sha256");
  private readonly tail: string[] = [];
  lines = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly echo: ((line: string) => void) | undefined,
  ) {}

  add(line: string): void {
    const stamped = `${String(this.nowMs()).padStart(7)} ${line}`;
    this.hash.update(stamped);
    this.hash.update("\n");
    this.lines += 1;
    this.tail.push(stamped);
    if (this.tail.length > TAIL_LINES_MAX) this.tail.shift();
    this.echo?.(stamped);
  }

  /** The hash of every line so far; the trace can take no more lines after this. */
  digest(): string {
    return this.hash.digest("hex");
  }

  lastLines(count: number): string[] {
    return this.tail.slice(-count);
  }
}

/** Every client operation of a run, in invocation order. */
export class History {
  readonly ops: Op[] = [];

  constructor(
    private readonly trace: Trace,
    private readonly nowMs: () => number,
  ) {}

  invoke(fields: Pick<Op, "client" | "kind" | "key" | "node" | "value" | "contextFrom" | "ttlS">): Op {
    const op: Op = {
      ...fields,
      id: this.ops.length,
      invokeMs: this.nowMs(),
      completeMs: undefined,
      outcome: undefined,
      values: undefined,
      context: undefined,
      error: undefined,
    };
    this.ops.push(op);
    return op;
  }

  complete(
    op: Op,
    outcome: Outcome,
    details: { values?: string[]; context?: string; error?: string } = {},
  ): void {
    op.completeMs = this.nowMs();
    op.outcome = outcome;
    op.values = details.values === undefined ? undefined : [...details.values].sort();
    op.context = details.context;
    op.error = details.error;
    const what =
      op.kind === "get"
        ? `[${op.values?.join(",") ?? ""}]`
        : `${op.value ?? "tombstone"} ctx=${op.contextFrom === null ? "-" : `#${op.contextFrom}`}${op.ttlS === undefined ? "" : ` ttl=${op.ttlS}s`}`;
    this.trace.add(
      `op#${op.id} c${op.client} ${op.kind} ${op.key} @${op.node} ${what} -> ${outcome}${op.error === undefined ? "" : ` (${op.error})`}`,
    );
  }

  byId(id: number): Op {
    const op = this.ops[id];
    if (op === undefined) throw new RangeError(`no op ${id}`);
    return op;
  }
}
