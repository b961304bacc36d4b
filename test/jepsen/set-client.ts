import type { Random } from "../../src/random/random.js";
import type { AddOutcome, History } from "./history.js";
import { encodeSet, readSetResponse, type SetRead } from "./set-codec.js";

export interface Endpoint {
  id: string;
  url: string;
}

export interface SetClientOptions {
  /** `timeout_ms` asked of the node for each request. */
  requestTimeoutMs: number;
  /** The client gives up waiting for an answer after this long (a paused node never answers). */
  abortAfterMs: number;
  /** Nodes tried for one add before it is recorded as failed (never sent). */
  attemptsMax: number;
  /** Each read picks its `r`, each write its `w`, from these (empty: the cluster's default). */
  readQuorums: readonly number[];
  writeQuorums: readonly number[];
}

export const defaultSetClientOptions: SetClientOptions = {
  requestTimeoutMs: 2000,
  abortAfterMs: 3000,
  attemptsMax: 3,
  readQuorums: [],
  writeQuorums: [],
};

/** A connection refused means the request never reached a node: safe to try another one. */
function refused(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === "ECONNREFUSED";
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return cause === undefined ? error.message : `${error.message} (${String(cause.code ?? cause.message)})`;
}

/**
 * One workload client: adds elements to sets by read-modify-write with contexts, against a
 * random node, failing over to another node when one cannot be reached. Every add is recorded.
 */
export class SetClient {
  constructor(
    private readonly endpoints: () => readonly Endpoint[],
    private readonly history: History,
    private readonly random: Random,
    private readonly options: SetClientOptions = defaultSetClientOptions,
  ) {}

  private pick(exclude: ReadonlySet<string>): Endpoint | undefined {
    const choices = this.endpoints().filter((e) => !exclude.has(e.id));
    return choices[this.random.uint32() % Math.max(1, choices.length)];
  }

  /** `&r=2`-style query text for a quorum drawn from `choices`, or "" for the cluster default. */
  private quorum(name: "r" | "w", choices: readonly number[]): string {
    if (choices.length === 0) return "";
    return `&${name}=${choices[this.random.uint32() % choices.length]}`;
  }

  /** GET of a set from one node; throws when the node could not answer. */
  async read(endpoint: Endpoint, key: string, query = ""): Promise<SetRead> {
    const res = await fetch(
      `${endpoint.url}/kv/${encodeURIComponent(key)}?timeout_ms=${this.options.requestTimeoutMs}${query}`,
      { signal: AbortSignal.timeout(this.options.abortAfterMs) },
    );
    return readSetResponse(res);
  }

  /** Adds one fresh element to the set under `key`, recording the outcome. */
  async add(key: string): Promise<AddOutcome> {
    const element = this.history.element();
    const startedAtMs = Date.now();
    const tried = new Set<string>();
    const finish = (
      outcome: AddOutcome,
      sent: boolean,
      node: string | undefined,
      detail: string,
    ): AddOutcome => {
      this.history.record({ key, element, outcome, sent, node, detail, startedAtMs, endedAtMs: Date.now() });
      return outcome;
    };
    let lastProblem = "no node to try";
    for (let attempt = 0; attempt < this.options.attemptsMax; attempt++) {
      const endpoint = this.pick(tried);
      if (endpoint === undefined) break;
      tried.add(endpoint.id);
      let current: SetRead;
      try {
        current = await this.read(endpoint, key, this.quorum("r", this.options.readQuorums));
      } catch (error) {
        // Reads change nothing: any failure just moves on to another node.
        lastProblem = `read from ${endpoint.id}: ${describe(error)}`;
        continue;
      }
      const body = encodeSet([...current.elements, element]);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (current.context !== "") headers["x-ringkv-context"] = current.context;
      let res: Response;
      try {
        res = await fetch(
          `${endpoint.url}/kv/${encodeURIComponent(key)}?timeout_ms=${this.options.requestTimeoutMs}${this.quorum("w", this.options.writeQuorums)}`,
          { method: "PUT", body, headers, signal: AbortSignal.timeout(this.options.abortAfterMs) },
        );
      } catch (error) {
        if (refused(error)) {
          lastProblem = `write to ${endpoint.id}: ${describe(error)}`;
          continue;
        }
        return finish("unknown", true, endpoint.id, describe(error));
      }
      const text = res.status === 204 ? "" : (await res.text().catch(() => "")).slice(0, 200);
      if (res.status === 204) return finish("ok", true, endpoint.id, "204");
      return finish("failed", true, endpoint.id, `${res.status} ${text}`);
    }
    return finish("failed", false, undefined, lastProblem);
  }
}
