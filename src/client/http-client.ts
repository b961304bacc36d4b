import { RingkvError } from "../errors.js";

const CONTEXT_HEADER = "x-ringkv-context";

/** An error answer from a node: its HTTP status and the JSON error body. */
export class RingkvHttpError extends RingkvError {
  readonly code: string;
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
    this.code = code;
  }
}

/** The node could not be reached at all (refused, reset, timed out). */
export class NodeUnreachableError extends RingkvError {
  readonly code = "unreachable";
}

export interface Sibling {
  value: Uint8Array;
  contentType: string;
}

export type GetResult =
  | { status: 200; context: string; value: Uint8Array; contentType: string }
  | { status: 300; context: string; siblings: Sibling[] }
  | { status: 404; context: string | undefined };

export interface QuorumParams {
  r?: number | "one" | "quorum" | "all";
  w?: number | "one" | "quorum" | "all";
  timeoutMs?: number;
}

export interface HttpClientOptions {
  /** Every call gives up after this long. */
  requestTimeoutMs: number;
}

/** A thin client of one node's HTTP API (API.md). The CLI uses it. */
export class NodeHttpClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly options: HttpClientOptions = { requestTimeoutMs: 30_000 },
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  async get(key: string | Uint8Array, params: QuorumParams = {}): Promise<GetResult> {
    const res = await this.request("GET", kvPath(key, params));
    const context = res.headers.get(CONTEXT_HEADER) ?? undefined;
    if (res.status === 404) {
      await res.arrayBuffer();
      return { status: 404, context };
    }
    if (res.status === 300) {
      const body = (await res.json()) as {
        context: string;
        siblings: { value: string; contentType: string }[];
      };
      const siblings = body.siblings.map((s) => ({
        value: Buffer.from(s.value, "base64"),
        contentType: s.contentType,
      }));
      return { status: 300, context: body.context, siblings };
    }
    if (res.status === 200) {
      const value = new Uint8Array(await res.arrayBuffer());
      return {
        status: 200,
        context: context ?? "",
        value,
        contentType: res.headers.get("content-type") ?? "",
      };
    }
    throw await toError(res);
  }

  /** Writes a value; resolves with the new context. */
  async put(
    key: string | Uint8Array,
    value: Uint8Array | string,
    options: QuorumParams & { context?: string; contentType?: string } = {},
  ): Promise<string> {
    const headers: Record<string, string> = {};
    if (options.context !== undefined) headers[CONTEXT_HEADER] = options.context;
    if (options.contentType !== undefined) headers["content-type"] = options.contentType;
    const res = await this.request("PUT", kvPath(key, options), headers, value);
    if (res.status !== 204) throw await toError(res);
    return res.headers.get(CONTEXT_HEADER) ?? "";
  }

  /** Deletes what the context covers (everything found, without one); resolves with the tombstone's context. */
  async delete(
    key: string | Uint8Array,
    options: QuorumParams & { context?: string } = {},
  ): Promise<string | undefined> {
    const headers: Record<string, string> = {};
    if (options.context !== undefined) headers[CONTEXT_HEADER] = options.context;
    const res = await this.request("DELETE", kvPath(key, options), headers);
    if (res.status !== 204) throw await toError(res);
    return res.headers.get(CONTEXT_HEADER) ?? undefined;
  }

  /** GETs a JSON endpoint such as /health or /cluster/members. */
  async getJson<T>(path: string): Promise<T> {
    const res = await this.request("GET", path);
    if (res.status !== 200) throw await toError(res);
    return (await res.json()) as T;
  }

  /** POSTs to an operations endpoint such as /cluster/leave; resolves with its JSON answer. */
  async postJson<T>(path: string): Promise<T> {
    const res = await this.request("POST", path);
    if (res.status !== 202 && res.status !== 200) throw await toError(res);
    return (await res.json()) as T;
  }

  private async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Uint8Array | string,
  ): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new NodeUnreachableError(`cannot reach ${this.baseUrl}: ${cause}`, { cause: error });
    }
  }
}

function kvPath(key: string | Uint8Array, params: QuorumParams): string {
  const text = typeof key === "string" ? key : Buffer.from(key).toString("utf8");
  const query = new URLSearchParams();
  if (params.r !== undefined) query.set("r", String(params.r));
  if (params.w !== undefined) query.set("w", String(params.w));
  if (params.timeoutMs !== undefined) query.set("timeout_ms", String(params.timeoutMs));
  const qs = query.toString();
  return `/kv/${encodeURIComponent(text)}${qs === "" ? "" : `?${qs}`}`;
}

async function toError(res: Response): Promise<RingkvHttpError> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { message: text };
  }
  const code = typeof body.error === "string" ? body.error : `http_${res.status}`;
  const message = typeof body.message === "string" ? body.message : `HTTP ${res.status}`;
  return new RingkvHttpError(res.status, code, message, body);
}
