import { readFileSync } from "node:fs";
import { Client } from "../client/client.js";
import type { ClientSecurityOptions } from "../client/client-options.js";
import { NodeHttpClient } from "../client/http-client.js";
import { ConfigError } from "../errors.js";
import type { FlagSpec } from "./flags.js";

export const NODE_FLAG = {
  name: "node",
  type: "string",
  env: true,
  default: "http://127.0.0.1:8001",
  description: "HTTP address of the node to talk to",
} as const satisfies FlagSpec;

export const TOKEN_FLAG = {
  name: "token",
  type: "string",
  env: true,
  description: "bearer token for a node started with --auth required",
} as const satisfies FlagSpec;

export const CA_FLAG = {
  name: "ca",
  type: "string",
  env: true,
  description: "PEM file of the CA that signed the nodes' HTTPS certificates (https:// --node)",
} as const satisfies FlagSpec;

/** The namespace of a key command's key (API.md "Namespaces"). */
export const NS_FLAG = {
  name: "ns",
  type: "string",
  description: "namespace of the key (default: default)",
} as const satisfies FlagSpec;

/** The flags of every command that talks to a node. */
export const CLIENT_FLAGS = [NODE_FLAG, TOKEN_FLAG, CA_FLAG] as const;

export const TIMEOUT_FLAG = {
  name: "timeout-ms",
  type: "integer",
  description: "server-side request timeout (timeout_ms)",
} as const satisfies FlagSpec;

/** The flags of any command that has --node (ParsedFlags of its spec fits). */
export interface NodeFlags {
  get(name: typeof NODE_FLAG.name | typeof TOKEN_FLAG.name | typeof CA_FLAG.name): string | undefined;
}

/** --token and --ca (or RINGKV_TOKEN, RINGKV_CA) as client options; the CA file is read here. */
export function securityFromFlags(flags: NodeFlags): ClientSecurityOptions {
  const caFile = flags.get("ca");
  let ca: Buffer | undefined;
  if (caFile !== undefined && caFile !== "") {
    try {
      ca = readFileSync(caFile);
    } catch (error) {
      const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new ConfigError(`--ca ${caFile} cannot be read (${code})`);
    }
  }
  const token = flags.get("token");
  return { token: token === "" ? undefined : token, ca };
}

/**
 * The ring-aware client for key commands, seeded with --node: the request goes to a replica of
 * the key when the ring could be read, through --node otherwise.
 */
export async function kvClientFromFlags(flags: NodeFlags): Promise<Client> {
  const client = new Client({
    nodes: [nodeUrlFromFlags(flags)],
    attemptsMax: 2,
    ...securityFromFlags(flags),
  });
  try {
    await client.refreshRing();
  } catch {
    // --node forwards the request itself; the request's own error says what is wrong.
  }
  return client;
}

export function clientFromFlags(flags: NodeFlags): NodeHttpClient {
  return new NodeHttpClient(nodeUrlFromFlags(flags), {
    requestTimeoutMs: 30_000,
    ...securityFromFlags(flags),
  });
}

function nodeUrlFromFlags(flags: NodeFlags): string {
  const url = flags.get("node") ?? NODE_FLAG.default;
  const withScheme = /^https?:\/\//.test(url) ? url : `http://${url}`;
  try {
    new URL(withScheme);
  } catch {
    throw new ConfigError(`--node "${url}" is not a URL like http://127.0.0.1:8001`);
  }
  return withScheme;
}
