import type { RequestOptions } from "../../src/coordinator/request-options.js";
import { decodeContext, encodeContext, join, type VersionVector } from "../../src/core/causality/index.js";
import { liveSiblings, type StoredObject } from "../../src/core/stored-object.js";
import { RingkvError } from "../../src/errors.js";
import type { RingkvNode } from "../../src/node.js";
import type { History, Op, Outcome } from "./history.js";
import type { SimClock } from "./sim-clock.js";
import type { SimRandom } from "./sim-random.js";

export interface WorkloadOptions {
  clients: number;
  keys: readonly string[];
  /** The request timeout the client asks for (timeout_ms). */
  requestTimeoutMs: number;
  /** The client gives up waiting this long after the call (the outcome is then unknown). */
  clientTimeoutMs: number;
  /** A client waits a uniform random time in [0, thinkMs] between operations. */
  thinkMs: number;
  /**
   * Some writes expire: a quarter of the puts ask for a time to live of 1 to TTL_S_MAX_SIM
   * seconds (off by default, so that existing seeds draw as before).
   */
  ttl?: boolean;
  /** The stored key of a key label (default: its UTF-8 bytes, a key of `default`). */
  storedKey?: (label: string) => Uint8Array;
  /**
   * The largest r and w a request on the key may ask (its namespace's n, and no more than the
   * nodes there are). Absent: the cluster's quorums are drawn as always (existing seeds draw as before).
   */
  quorumMax?: (label: string) => number;
}

/** The longest time to live a simulated write asks for. */
export const TTL_S_MAX_SIM = 3;

export interface WorkloadEnv {
  sim: SimClock;
  random: SimRandom;
  history: History;
  /** The nodes a client can reach now: started, running, not paused, not departed. */
  serving(): { id: string; node: RingkvNode }[];
  problem(description: string): void;
}

/** What a read gave the client: its values and the context it may write back. */
interface ReadResult {
  op: Op;
  context: string | undefined;
}

/** Errors after which a write certainly did nothing: it was refused before any replica applied it. */
const REFUSED_CODES = new Set(["too_many_siblings", "bad_request", "key_too_long", "value_too_large"]);

/**
 * Concurrent clients calling node coordinators directly, as the HTTP routes do (kv-routes.ts):
 * read-modify-write with the read's context, blind writes, deletes with and without context,
 * and plain reads, over a small key set so that they collide. Every value written is unique.
 */
export class Workload {
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly env: WorkloadEnv,
    private readonly options: WorkloadOptions,
  ) {}

  /** Runs every client until virtual time `untilMs`; resolves when all have finished their last op. */
  run(untilMs: number): Promise<void> {
    const clients = Array.from({ length: this.options.clients }, (_, c) =>
      this.client(c, this.env.random.fork(`client/${c}`), untilMs),
    );
    return Promise.all(clients).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
  }

  private async client(c: number, random: SimRandom, untilMs: number): Promise<void> {
    const { sim } = this.env;
    while (!this.stopped && sim.nowMs() < untilMs) {
      await sim.sleep(random.int(0, this.options.thinkMs));
      const key = random.pick(this.options.keys);
      const action = random.weighted([
        ["update", 45],
        ["blind-write", 20],
        ["read", 15],
        ["read-delete", 12],
        ["delete", 8],
      ] as const);
      switch (action) {
        case "update": {
          const read = await this.get(c, random, key);
          if (read !== undefined) await this.put(c, random, key, read);
          break;
        }
        case "blind-write":
          await this.put(c, random, key, undefined);
          break;
        case "read":
          await this.get(c, random, key);
          break;
        case "read-delete": {
          const read = await this.get(c, random, key);
          if (read !== undefined) await this.delete(c, random, key, read);
          break;
        }
        case "delete":
          await this.delete(c, random, key, undefined);
          break;
      }
    }
  }

  private async get(c: number, random: SimRandom, key: string): Promise<ReadResult | undefined> {
    const target = this.pickNode(random);
    if (target === undefined) return undefined;
    const op = this.env.history.invoke({
      client: c,
      kind: "get",
      key,
      node: target.id,
      value: undefined,
      contextFrom: null,
    });
    const options = this.requestOptions(random, key);
    const result = await this.call(op, () => target.node.coordinator.get(this.stored(key), options));
    if (result.outcome !== "ok") return undefined;
    const object = result.value;
    const values = object === undefined ? [] : liveSiblings(object).map((s) => text(s.value));
    // As the HTTP API does: the context travels to the client encoded and comes back in a header.
    const context =
      object === undefined || object.entries.length === 0 ? undefined : encodeContext(join(object));
    this.env.history.complete(op, "ok", { values, context });
    return { op, context };
  }

  private async put(c: number, random: SimRandom, key: string, read: ReadResult | undefined): Promise<void> {
    const target = this.pickNode(random);
    if (target === undefined) return;
    const value = `c${c}.${this.seq++}`;
    const ttlS =
      this.options.ttl === true && random.int(0, 3) === 0 ? random.int(1, TTL_S_MAX_SIM) : undefined;
    const op = this.env.history.invoke({
      client: c,
      kind: "put",
      key,
      node: target.id,
      value,
      contextFrom: read === undefined ? null : read.op.id,
      ...(ttlS === undefined ? {} : { ttlS }),
    });
    const options = { ...this.requestOptions(random, key), ...(ttlS === undefined ? {} : { ttlS }) };
    const context = decode(read?.context) ?? [];
    const sibling = {
      value: bytes(value),
      contentType: "text/plain",
      deleted: false,
      writtenAtMs: this.env.sim.nowMs(),
    };
    const result = await this.call(op, () =>
      target.node.coordinator.put(this.stored(key), sibling, context, options),
    );
    if (result.outcome === "ok") this.env.history.complete(op, "ok");
  }

  private async delete(
    c: number,
    random: SimRandom,
    key: string,
    read: ReadResult | undefined,
  ): Promise<void> {
    const target = this.pickNode(random);
    if (target === undefined) return;
    const op = this.env.history.invoke({
      client: c,
      kind: "delete",
      key,
      node: target.id,
      value: undefined,
      contextFrom: read === undefined ? null : read.op.id,
    });
    const options = this.requestOptions(random, key);
    // A read that found nothing gives no context: the delete then carries an empty one.
    const context = read === undefined ? undefined : (decode(read.context) ?? []);
    const result = await this.call(op, () =>
      target.node.coordinator.delete(this.stored(key), context, options),
    );
    if (result.outcome === "ok") this.env.history.complete(op, "ok");
  }

  /**
   * Calls the coordinator and waits for its answer at most clientTimeoutMs. Completes `op` with
   * its outcome unless it succeeded (the caller then completes it with what it read).
   */
  private call<T>(
    op: Op,
    run: () => Promise<T>,
  ): Promise<{ outcome: "ok"; value: T } | { outcome: "fail" | "unknown" }> {
    const { sim, history } = this.env;
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: Outcome, value?: T, error?: string): void => {
        if (done) return;
        done = true;
        sim.clearTimeout(timer);
        if (outcome === "ok") resolve({ outcome, value: value as T });
        else {
          history.complete(op, outcome, { error });
          resolve({ outcome });
        }
      };
      const timer = sim.setTimeout(
        () => finish("unknown", undefined, "no answer"),
        this.options.clientTimeoutMs,
      );
      let pending: Promise<T>;
      try {
        pending = run();
      } catch (error) {
        // Thrown before anything was sent (no ring yet, the node is starting): no effect.
        this.checkError(op, error);
        finish("fail", undefined, errorText(error));
        return;
      }
      pending.then(
        (value) => finish("ok", value),
        (error: unknown) => {
          this.checkError(op, error);
          const code = error instanceof RingkvError ? error.code : "internal";
          // A read that failed has no effect; a write that failed may still have been applied somewhere.
          const outcome: Outcome = op.kind === "get" || REFUSED_CODES.has(code) ? "fail" : "unknown";
          finish(outcome, undefined, errorText(error));
        },
      );
    });
  }

  /** An error that is not one of ringkv's typed conditions is a bug in the node code. */
  private checkError(op: Op, error: unknown): void {
    if (!(error instanceof RingkvError) || error.code === "internal") {
      const stack = error instanceof Error ? `\n${error.stack ?? ""}` : "";
      this.env.problem(
        `op#${op.id} (${op.kind} ${op.key} at ${op.node}) failed with a bug: ${errorText(error)}${stack}`,
      );
    }
  }

  private pickNode(random: SimRandom): { id: string; node: RingkvNode } | undefined {
    const serving = this.env.serving();
    return serving.length === 0 ? undefined : random.pick(serving);
  }

  private stored(key: string): Uint8Array {
    return this.options.storedKey?.(key) ?? bytes(key);
  }

  /**
   * Mostly the cluster's quorums; sometimes weaker or stronger ones, as clients may ask. With
   * `quorumMax`, up to the key's n (a wide namespace's n too), never above it.
   */
  private requestOptions(random: SimRandom, key: string): RequestOptions {
    const max = this.options.quorumMax?.(key);
    const choices =
      max === undefined || max <= 3
        ? ([
            [2, 8],
            [1, 1],
            [3, 1],
          ] as const)
        : ([
            [2, 7],
            [1, 1],
            [3, 1],
            [max, 1],
          ] as const);
    const cap = (q: number): number => (max === undefined ? q : Math.min(q, max));
    const w = cap(random.weighted(choices));
    const r = cap(random.weighted(choices));
    return { r, w, pr: 0, pw: 0, timeoutMs: this.options.requestTimeoutMs };
  }
}

function decode(context: string | undefined): VersionVector | undefined {
  return context === undefined
    ? undefined
    : decodeContext(context, { encodedLengthMax: 8192, actorsMax: 256 });
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array): string {
  return Buffer.from(b).toString("utf8");
}

function errorText(error: unknown): string {
  if (error instanceof RingkvError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Live values of an object as strings, sorted. */
export function liveValues(object: StoredObject | undefined): string[] {
  return object === undefined
    ? []
    : liveSiblings(object)
        .map((s) => text(s.value))
        .sort();
}
