import { Client } from "../client/client.js";
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

export const TIMEOUT_FLAG = {
  name: "timeout-ms",
  type: "integer",
  description: "server-side request timeout (timeout_ms)",
} as const satisfies FlagSpec;

/** The flags of any command that has --node (ParsedFlags of its spec fits). */
export interface NodeFlags {
  get(name: typeof NODE_FLAG.name): string;
}

/**
 * The ring-aware client for key commands, seeded with --node: the request goes to a replica of
 * the key when the ring could be read, through --node otherwise.
 */
export async function kvClientFromFlags(flags: NodeFlags): Promise<Client> {
  const client = new Client({ nodes: [clientFromFlags(flags).baseUrl], attemptsMax: 2 });
  try {
    await client.refreshRing();
  } catch {
    // --node forwards the request itself; the request's own error says what is wrong.
  }
  return client;
}

export function clientFromFlags(flags: NodeFlags): NodeHttpClient {
  const url = flags.get("node");
  const withScheme = /^https?:\/\//.test(url) ? url : `http://${url}`;
  try {
    new URL(withScheme);
  } catch {
    throw new ConfigError(`--node "${url}" is not a URL like http://127.0.0.1:8001`);
  }
  return new NodeHttpClient(withScheme);
}
