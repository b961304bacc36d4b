import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { ConfigError } from "../errors.js";
import { authHeaders, type ClientSecurityOptions } from "./client-options.js";
import { answerError, exchange, type HttpAnswer } from "./http-exchange.js";
import {
  type DeleteOptions,
  deleteResult,
  type GetResult,
  getResult,
  kvPath,
  type PutOptions,
  putHeaders,
  putResult,
  type QuorumParams,
} from "./kv-answers.js";

export { NodeUnreachableError, RingkvHttpError } from "./errors.js";
export type { GetResult, QuorumParams, Sibling } from "./kv-answers.js";

export interface HttpClientOptions extends ClientSecurityOptions {
  /** Every call gives up after this long. */
  requestTimeoutMs: number;
}

/** Answers of operations endpoints (/cluster/*, /health) are small; anything larger is refused. */
const JSON_ANSWER_BYTES_MAX = 64 * 1024 * 1024;

/**
 * A client of ONE node's HTTP API (API.md), for operations endpoints and scripts that want a
 * specific node. Applications use `Client`, which routes each key to its replicas.
 */
export class NodeHttpClient {
  readonly baseUrl: string;
  private readonly url: URL;
  private readonly agent: Agent;

  constructor(
    baseUrl: string,
    private readonly options: HttpClientOptions = { requestTimeoutMs: 30_000 },
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    try {
      this.url = new URL(this.baseUrl);
    } catch {
      throw new ConfigError(`"${baseUrl}" is not a node URL like http://127.0.0.1:8001`);
    }
    this.agent =
      this.url.protocol === "https:"
        ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ca: caOption(options.ca) })
        : new Agent({ keepAlive: true, maxSockets: 16 });
  }

  async get(key: string | Uint8Array, params: QuorumParams = {}): Promise<GetResult> {
    return getResult(await this.request("GET", kvPath(key, params)));
  }

  /** Writes a value; resolves with the new context. */
  async put(key: string | Uint8Array, value: Uint8Array | string, options: PutOptions = {}): Promise<string> {
    return putResult(await this.request("PUT", kvPath(key, options), putHeaders(options), value)).context;
  }

  /** Deletes what the context covers (everything found, without one); resolves with the tombstone's context. */
  async delete(key: string | Uint8Array, options: DeleteOptions = {}): Promise<string | undefined> {
    return deleteResult(await this.request("DELETE", kvPath(key, options), putHeaders(options)));
  }

  /** GETs a JSON endpoint such as /health or /cluster/members. */
  async getJson<T>(path: string): Promise<T> {
    const answer = await this.request("GET", path);
    if (answer.status !== 200) throw answerError(answer);
    return JSON.parse(answer.body.toString("utf8")) as T;
  }

  /** POSTs to an operations endpoint such as /cluster/leave; resolves with its JSON answer. */
  async postJson<T>(path: string, body?: unknown): Promise<T> {
    const answer =
      body === undefined
        ? await this.request("POST", path)
        : await this.request("POST", path, { "content-type": "application/json" }, JSON.stringify(body));
    if (answer.status !== 202 && answer.status !== 200 && answer.status !== 201) throw answerError(answer);
    return JSON.parse(answer.body.toString("utf8")) as T;
  }

  /** DELETEs an operations resource such as /admin/tokens/app1 (204 expected). */
  async deleteResource(path: string): Promise<void> {
    const answer = await this.request("DELETE", path);
    if (answer.status !== 204 && answer.status !== 200) throw answerError(answer);
  }

  /** Closes idle connections (a CLI command calls this before it exits). */
  close(): void {
    this.agent.destroy();
  }

  private request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Uint8Array | string,
  ): Promise<HttpAnswer> {
    return exchange(this.url, {
      method,
      path,
      headers: { ...authHeaders(this.options.token), ...headers },
      body,
      timeoutMs: this.options.requestTimeoutMs,
      answerBytesMax: JSON_ANSWER_BYTES_MAX,
      agent: this.agent,
    });
  }
}

/** node:https takes the CA as PEM text or bytes; undefined keeps the system's CAs. */
export function caOption(ca: string | Uint8Array | undefined): string | Buffer | undefined {
  if (ca === undefined) return undefined;
  return typeof ca === "string" ? ca : Buffer.from(ca);
}
