export interface ClientOptions {
  /** Client API URLs of one or more nodes (`http://127.0.0.1:8001`); the rest are learnt from the cluster. */
  nodes: string[];
  /** Every HTTP exchange gives up after this long. */
  requestTimeoutMs: number;
  /** The ring is re-read this often even when no answer showed a new version. */
  ringRefreshIntervalMs: number;
  /** Keep-alive connections per node. */
  connectionsPerNodeMax: number;
  /** Nodes one request tries before giving up (failover). */
  attemptsMax: number;
  /** A node that failed is tried last for this long. */
  nodeBackoffMs: number;
  /** Rounds `update` spends merging concurrent writers' versions before giving up. */
  updateAttemptsMax: number;
  /** `update` waits a random time below this, doubled per round, before merging again. */
  updateBackoffMs: number;
  /** Larger answers are refused (the cluster's value limit is 1 MiB by default; siblings multiply it). */
  answerBytesMax: number;
  /**
   * `binary`: the binary client protocol on the nodes' client port (docs/client-protocol.md),
   * falling back to HTTP for a node that does not speak it; `http`: HTTP/1.1 only.
   */
  protocol: ClientProtocol;
  /** Binary connections per node; requests are multiplexed over them. */
  binaryConnectionsPerNodeMax: number;
}

export type ClientProtocol = "binary" | "http";
export const CLIENT_PROTOCOLS: readonly ClientProtocol[] = ["binary", "http"];

export const defaultClientOptions: Omit<ClientOptions, "nodes"> = {
  requestTimeoutMs: 10_000,
  ringRefreshIntervalMs: 10_000,
  connectionsPerNodeMax: 64,
  attemptsMax: 3,
  nodeBackoffMs: 2_000,
  updateAttemptsMax: 8,
  updateBackoffMs: 5,
  answerBytesMax: 64 * 1024 * 1024,
  protocol: "binary",
  binaryConnectionsPerNodeMax: 2,
};

/** How a client proves who it is and checks the nodes it talks to (the contract's Security part). */
export interface ClientSecurityOptions {
  /** Sent as `Authorization: Bearer <token>` on every request (RINGKV_TOKEN for the CLI). */
  token?: string | undefined;
  /** PEM CA certificate(s) the nodes' HTTPS certificates are checked against (default: the system's). */
  ca?: string | Uint8Array | undefined;
}

/** The headers a token adds to every request. */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined || token === "" ? {} : { authorization: `Bearer ${token}` };
}

/** Which namespace key calls use when they name none (API.md "Namespaces"). */
export interface ClientNamespaceOptions {
  /** Default namespace of get, put, delete, update and keys; absent: `default`. */
  ns?: string | undefined;
}
