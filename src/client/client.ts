import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  DEFAULT_NAMESPACE,
  decodeKey,
  encodeKey,
  isNamespaceName,
  NAMESPACE_NAME_RULE,
} from "../core/namespace/index.js";
import { ConfigError } from "../errors.js";
import { BinaryPool, BinaryUnsupportedError } from "./binary-connection.js";
import {
  authHeaders,
  CLIENT_PROTOCOLS,
  type ClientNamespaceOptions,
  type ClientOptions,
  type ClientSecurityOptions,
  defaultClientOptions,
} from "./client-options.js";
import { NoNodeAvailableError, UnresolvedSiblingsError } from "./errors.js";
import { caOption } from "./http-client.js";
import { answerError, ExchangeFailedError, exchange, type HttpAnswer } from "./http-exchange.js";
import { type KeysOptions, type KeysPage, keysPage, keysPath } from "./key-listing.js";
import {
  type DeleteOptions,
  deleteResult,
  type GetResult,
  getResult,
  kvPath,
  type PutOptions,
  type PutResult,
  putHeaders,
  putResult,
  type QuorumParams,
  ringVersionOf,
  type Sibling,
} from "./kv-answers.js";
import { type NamespaceInfo, type NamespacePropertiesChange, namespaceInfo } from "./namespace-answers.js";
import { type MembersAnswer, type RingAnswer, RoutingTable } from "./routing-table.js";

type Value = Uint8Array | string;

/** A node that did not speak the binary protocol is asked again after this long (it may have been upgraded). */
const HTTP_ONLY_RECHECK_MS = 60_000;
/** The client closes an idle binary connection after this long, well before the node would (5 min). */
const BINARY_IDLE_MS = 60_000;
/** A node's next binary connection opens once each one has this many requests in flight. */
const BINARY_IN_FLIGHT_PER_CONNECTION = 64;

/** What `new Client` and `Client.connect` take. */
export type ConnectOptions = Partial<ClientOptions> &
  Pick<ClientOptions, "nodes"> &
  ClientSecurityOptions &
  ClientNamespaceOptions;

/** Merges concurrent versions into one value (set union, sum of per-writer counts, ...). */
export type ResolveSiblings = (siblings: Sibling[]) => Value;

export interface UpdateOptions extends QuorumParams {
  contentType?: string;
  /** Expiry of the version written (see PutOptions.ttlS). */
  ttlS?: number;
}

/**
 * A ring-aware ringkv client. It learns the ring from the nodes it is given, sends each request
 * straight to one of the key's home replicas (no forwarding hop), fails over to other nodes when
 * one cannot be reached, and re-reads the ring when an answer shows a newer version.
 *
 * ```ts
 * const client = await Client.connect({ nodes: ["http://127.0.0.1:8001"] });
 * const read = await client.get("cart");
 * await client.put("cart", "apples", { context: read.context });
 * ```
 */
export class Client {
  readonly options: ClientOptions;
  private table: RoutingTable | undefined;
  private readonly seeds: URL[];
  private readonly agents = new Map<string, Agent>();
  private readonly binaryPools = new Map<string, BinaryPool>();
  /** Nodes found not to speak the binary protocol, and when: asked over HTTP for a while. */
  private readonly httpOnlySinceMs = new Map<string, number>();
  private readonly urls = new Map<string, URL>();
  private readonly failedAtMs = new Map<string, number>();
  private refreshing: Promise<void> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private turn = 0;
  private closed = false;

  private readonly security: ClientSecurityOptions;
  /** The namespace of key calls that name none. */
  readonly ns: string;

  constructor(options: ConnectOptions) {
    const { token, ca, ns, ...rest } = options;
    this.security = { token, ca };
    this.ns = ns ?? DEFAULT_NAMESPACE;
    if (!isNamespaceName(this.ns)) throw new ConfigError(`client option ns: ${NAMESPACE_NAME_RULE}`);
    this.options = { ...defaultClientOptions, ...rest };
    if (this.options.nodes.length === 0) throw new ConfigError("a client needs at least one node URL");
    this.seeds = this.options.nodes.map((n) => this.urlOf(n));
    if (!CLIENT_PROTOCOLS.includes(this.options.protocol))
      throw new ConfigError(
        `client option protocol must be one of ${CLIENT_PROTOCOLS.join(", ")}, got ${String(this.options.protocol)}`,
      );
    for (const [name, value] of Object.entries(this.options)) {
      if (name === "nodes" || name === "protocol") continue;
      if (!Number.isSafeInteger(value) || (value as number) < 1)
        throw new ConfigError(`client option ${name} must be a positive integer, got ${String(value)}`);
    }
    this.refreshTimer = setInterval(
      () => void this.refreshRing().catch(() => undefined),
      this.options.ringRefreshIntervalMs,
    );
    // A client left open must not keep its process alive.
    this.refreshTimer.unref();
  }

  /** A client that has read the ring once (it still works, through any node, if that failed). */
  static async connect(options: ConnectOptions): Promise<Client> {
    const client = new Client(options);
    await client.refreshRing();
    return client;
  }

  /** The ring version the client routes by (undefined before it read one). */
  get ringVersion(): number | undefined {
    return this.table?.version;
  }

  /** Reads a key: 200 with one value, 300 with siblings, 404 when none; each with the context for a next write. */
  async get(key: Value, params: QuorumParams = {}): Promise<GetResult> {
    const p = this.withNs(params);
    const answer = await this.send(this.routeKey(key, p), "GET", kvPath(key, p), {}, undefined, true);
    return getResult(answer);
  }

  /** Writes a value; with the context of a read it supersedes what that read saw. */
  async put(key: Value, value: Value, options: PutOptions = {}): Promise<PutResult> {
    const o = this.withNs(options);
    const answer = await this.send(this.routeKey(key, o), "PUT", kvPath(key, o), putHeaders(o), value, false);
    return putResult(answer);
  }

  /** Deletes what the context covers (everything found, without one); resolves with the tombstone's context. */
  async delete(key: Value, options: DeleteOptions = {}): Promise<string | undefined> {
    const o = this.withNs(options);
    const answer = await this.send(
      this.routeKey(key, o),
      "DELETE",
      kvPath(key, o),
      putHeaders(o),
      undefined,
      false,
    );
    return deleteResult(answer);
  }

  /**
   * Read-modify-write. Reads the key (resolving siblings with `resolve`), writes `fn(current)`
   * with the read's context, and, when the write shows that another client wrote concurrently
   * (the key has siblings), reads again and writes `resolve(siblings)` until one version is left.
   * `fn` runs exactly once: its result is stored durably by the first write and merged after;
   * so `resolve` must be a merge (commutative, idempotent), as Riak expects of sibling resolution.
   * Resolves once the value is stored; `siblings` over 1 means writers were still colliding after
   * `updateAttemptsMax` merges (nothing is lost: the next reader merges them).
   */
  async update(
    key: Value,
    fn: (current: Uint8Array | undefined) => Value,
    resolve?: ResolveSiblings,
    options: UpdateOptions = {},
  ): Promise<PutResult> {
    const read = await this.get(key, options);
    let written = await this.put(key, fn(currentValue(read, resolve)), { ...options, context: read.context });
    for (let attempt = 0; attempt < this.options.updateAttemptsMax; attempt++) {
      if (written.siblings <= 1) return written;
      // Writers that keep colliding back off for a random while, so one of them wins the round.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * this.options.updateBackoffMs * 2 ** attempt),
      );
      const again = await this.get(key, options);
      if (again.status !== 300) return written;
      if (resolve === undefined)
        throw new UnresolvedSiblingsError(
          `${keyText(key)} has concurrent versions and update() was given no resolve`,
        );
      written = await this.put(key, resolve(again.siblings), { ...options, context: again.context });
    }
    // Still contended: our value is durably stored and the next reader's resolve merges it.
    return written;
  }

  /**
   * Every live key of a namespace (with a prefix), in UTF-8 byte order, page by page as the
   * loop consumes them: memory stays at one page. A node that cannot be reached is skipped for
   * another; an error answer (503 when too few replicas are up) is thrown where the loop stands.
   */
  async *keys(options: KeysOptions = {}): AsyncGenerator<string, void, undefined> {
    let after: string | undefined;
    for (;;) {
      const page = await this.keysPage(options, after);
      yield* page.keys;
      if (page.next === null) return;
      after = page.next;
    }
  }

  /** One page of keys after `after` (exclusive); `next` says where the following page starts. */
  async keysPage(options: KeysOptions = {}, after?: string): Promise<KeysPage> {
    const path = keysPath({ ...options, ns: options.ns ?? this.ns }, after);
    const answer = await this.send(undefined, "GET", path, {}, undefined, true);
    return keysPage(answer);
  }

  /** Every configured namespace (and `default`) with the values its requests run with (admin). */
  async namespaces(): Promise<NamespaceInfo[]> {
    const body = await this.adminJson("GET", "/namespaces", undefined, 200);
    const list =
      typeof body === "object" && body !== null ? (body as { namespaces?: unknown }).namespaces : undefined;
    if (!Array.isArray(list)) throw new Error("a namespaces answer has no namespaces array");
    return list.map(namespaceInfo);
  }

  /** One namespace's properties; a never-configured one shows the cluster defaults (admin). */
  async namespace(ns: string): Promise<NamespaceInfo> {
    return namespaceInfo(
      await this.adminJson("GET", `/namespaces/${encodeURIComponent(ns)}`, undefined, 200),
    );
  }

  /** Merges `properties` over the namespace's own; resolves with the result (admin). */
  async setNamespace(ns: string, properties: NamespacePropertiesChange): Promise<NamespaceInfo> {
    const body = JSON.stringify(properties);
    return namespaceInfo(await this.adminJson("PUT", `/namespaces/${encodeURIComponent(ns)}`, body, 200));
  }

  /** A namespace call: any node answers; a write is sent once (it is idempotent, but not retried blind). */
  private async adminJson(
    method: string,
    path: string,
    body: string | undefined,
    ok: number,
  ): Promise<unknown> {
    const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    const answer = await this.send(undefined, method, path, headers, body, method === "GET");
    if (answer.status !== ok) throw answerError(answer);
    return JSON.parse(answer.body.toString("utf8")) as unknown;
  }

  private withNs<T extends QuorumParams>(options: T): T & { ns: string } {
    return { ...options, ns: options.ns ?? this.ns };
  }

  /** The bytes the cluster places the key by: its stored key in its namespace (core/namespace). */
  private routeKey(key: Value, options: { ns: string }): Uint8Array {
    const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    // A bad name is the node's 400 to give; route it anywhere.
    return isNamespaceName(options.ns) ? encodeKey(options.ns, bytes) : bytes;
  }

  /** Re-reads the ring and the members' addresses now (one refresh at a time). */
  refreshRing(): Promise<void> {
    this.refreshing ??= this.readRing().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Closes idle connections and stops the ring refresh timer. */
  close(): void {
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    for (const pool of this.binaryPools.values()) pool.close();
    this.binaryPools.clear();
  }

  private async readRing(): Promise<void> {
    let lastError: unknown;
    for (const url of this.candidates(undefined)) {
      try {
        const ring = await this.json<RingAnswer>(url, "/cluster/ring");
        const members = await this.json<MembersAnswer>(url, "/cluster/members");
        this.table = RoutingTable.from(
          ring,
          members,
          this.seeds[0]?.protocol === "https:" ? "https" : "http",
        );
        return;
      } catch (error) {
        lastError = error;
        if (error instanceof ExchangeFailedError) this.failedAtMs.set(url.href, Date.now());
      }
    }
    throw new NoNodeAvailableError("could not read the ring from any node", { cause: lastError });
  }

  private async json<T>(url: URL, path: string): Promise<T> {
    const answer = await this.exchangeWith(url, "GET", path, {}, undefined);
    if (answer.status !== 200) throw answerError(answer);
    return JSON.parse(answer.body.toString("utf8")) as T;
  }

  /**
   * Sends a key's request to its home replicas first, then any other node (which forwards or
   * coordinates a sloppy read), skipping for a while nodes that just failed. A read fails over on
   * any connection failure; a write only when the request certainly never reached the node, so
   * a retry cannot store it twice.
   */
  private async send(
    key: Value | undefined,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Value | undefined,
    idempotent: boolean,
  ): Promise<HttpAnswer> {
    if (this.closed) throw new NoNodeAvailableError("the client is closed");
    // No key (a listing): any node will do, in the usual order.
    const keyBytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    let lastError: unknown;
    let attempts = 0;
    for (const url of this.candidates(keyBytes)) {
      if (attempts++ >= this.options.attemptsMax) break;
      try {
        const answer = await this.exchangeWith(url, method, path, headers, body);
        const version = ringVersionOf(answer);
        if (version !== undefined && this.table !== undefined && version > this.table.version)
          void this.refreshRing().catch(() => undefined);
        return answer;
      } catch (error) {
        if (!(error instanceof ExchangeFailedError)) throw error;
        this.failedAtMs.set(url.href, Date.now());
        lastError = error;
        if (!idempotent && !error.notSent) throw error;
      }
    }
    // The nodes we know may all have moved: try again with a fresh ring next time.
    void this.refreshRing().catch(() => undefined);
    const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
    const what = key === undefined ? path.split("?")[0] : keyText(storedUserKey(key));
    throw new NoNodeAvailableError(`no node answered for ${what}${reason}`, { cause: lastError });
  }

  /** Nodes to try, in order: the key's home replicas (rotating), then the rest; recently failed ones last. */
  private candidates(key: Uint8Array | undefined): URL[] {
    const table = this.table;
    const home = key === undefined || table === undefined ? [] : table.homeOf(key).map((u) => this.urlOf(u));
    const rest = table === undefined ? this.seeds : table.allNodes().map((u) => this.urlOf(u));
    const start = this.turn++ % Math.max(1, home.length);
    const ordered = [...home.slice(start), ...home.slice(0, start)];
    const seen = new Set(ordered.map((u) => u.href));
    for (const url of [...rest, ...this.seeds]) {
      if (seen.has(url.href)) continue;
      seen.add(url.href);
      ordered.push(url);
    }
    const now = Date.now();
    const healthy = (u: URL): boolean =>
      now - (this.failedAtMs.get(u.href) ?? -Infinity) >= this.options.nodeBackoffMs;
    return [...ordered.filter(healthy), ...ordered.filter((u) => !healthy(u))];
  }

  /** One exchange with one node: binary when the node speaks it, HTTP otherwise. */
  private async exchangeWith(
    url: URL,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Value | undefined,
  ): Promise<HttpAnswer> {
    if (this.speaksBinary(url)) {
      const allHeaders = { ...authHeaders(this.security.token), ...headers };
      try {
        const connection = await this.binaryPoolFor(url).connection();
        return await connection.request(method, path, allHeaders, body, this.options.requestTimeoutMs);
      } catch (error) {
        if (!(error instanceof BinaryUnsupportedError)) throw error;
        // An older node: no request went out, so this one (and the next ones for a while) go over HTTP.
        this.httpOnlySinceMs.set(url.href, Date.now());
      }
    }
    return exchange(url, {
      method,
      path,
      headers: { ...authHeaders(this.security.token), ...headers },
      body,
      timeoutMs: this.options.requestTimeoutMs,
      answerBytesMax: this.options.answerBytesMax,
      agent: this.agentFor(url),
    });
  }

  private speaksBinary(url: URL): boolean {
    if (this.options.protocol !== "binary") return false;
    const since = this.httpOnlySinceMs.get(url.href);
    return since === undefined || Date.now() - since >= HTTP_ONLY_RECHECK_MS;
  }

  private binaryPoolFor(url: URL): BinaryPool {
    let pool = this.binaryPools.get(url.href);
    if (pool === undefined) {
      pool = new BinaryPool({
        url,
        ca: caOption(this.security.ca),
        connectTimeoutMs: this.options.requestTimeoutMs,
        answerBytesMax: this.options.answerBytesMax,
        idleTimeoutMs: BINARY_IDLE_MS,
        connectionsMax: this.options.binaryConnectionsPerNodeMax,
        inFlightPerConnection: BINARY_IN_FLIGHT_PER_CONNECTION,
      });
      this.binaryPools.set(url.href, pool);
    }
    return pool;
  }

  private agentFor(url: URL): Agent {
    let agent = this.agents.get(url.href);
    if (agent === undefined) {
      const agentOptions = {
        keepAlive: true,
        maxSockets: this.options.connectionsPerNodeMax,
        scheduling: "lifo",
      } as const;
      agent =
        url.protocol === "https:"
          ? new HttpsAgent({ ...agentOptions, ca: caOption(this.security.ca) })
          : new Agent(agentOptions);
      this.agents.set(url.href, agent);
    }
    return agent;
  }

  /** One URL object per node, so candidates compare by identity. */
  private urlOf(text: string): URL {
    const withScheme = /^https?:\/\//.test(text) ? text : `http://${text}`;
    let url = this.urls.get(withScheme);
    if (url === undefined) {
      try {
        url = new URL(withScheme);
      } catch {
        throw new ConfigError(`"${text}" is not a node URL like http://127.0.0.1:8001`);
      }
      this.urls.set(withScheme, url);
    }
    return url;
  }
}

function currentValue(read: GetResult, resolve: ResolveSiblings | undefined): Uint8Array | undefined {
  if (read.status === 404) return undefined;
  if (read.status === 200) return read.value;
  if (resolve === undefined)
    throw new UnresolvedSiblingsError("the key has concurrent versions and update() was given no resolve");
  const merged = resolve(read.siblings);
  return typeof merged === "string" ? Buffer.from(merged, "utf8") : merged;
}

function keyText(key: Value): string {
  const text = typeof key === "string" ? key : Buffer.from(key).toString("utf8");
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

/** The user key of a key the client routes by (a stored key, or the raw bytes of one it could not encode). */
function storedUserKey(key: Value): Value {
  return typeof key === "string" ? key : (decodeKey(key)?.key ?? key);
}
