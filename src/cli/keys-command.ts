import { ConfigError } from "../errors.js";
import { CLIENT_FLAGS, kvClientFromFlags, TIMEOUT_FLAG } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const keysSpec = {
  name: "keys",
  summary: "List the live keys of a namespace (in UTF-8 byte order), one per line, page by page.",
  usage: "ringkv keys [--ns NS] [--prefix P] [--page-size N] [--node URL] [--r N]",
  positionals: [0, 0],
  flags: [
    ...CLIENT_FLAGS,
    { name: "ns", type: "string", description: "namespace (default: default)" },
    { name: "prefix", short: "p", type: "string", description: "only keys that start with this" },
    {
      name: "page-size",
      type: "integer",
      description: "keys per page asked of the node (1..10000, default 1000)",
    },
    {
      name: "r",
      type: "string",
      description: "home replicas asked per partition: 1..N, one, quorum or all (default: the cluster's r)",
    },
    TIMEOUT_FLAG,
  ],
} as const satisfies CommandSpec;

export async function runKeys(flags: ParsedFlags<typeof keysSpec>, out: Output): Promise<number> {
  const pageSize = flags.get("page-size");
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 10_000))
    throw new ConfigError(`--page-size must be in 1..10000, got ${pageSize}`);
  const r = flags.get("r");
  if (r !== undefined && !/^([0-9]+|one|quorum|all)$/.test(r))
    throw new ConfigError(`--r must be a number, one, quorum or all, got "${r}"`);
  const client = await kvClientFromFlags(flags);
  try {
    const options = {
      ...(flags.get("ns") === undefined ? {} : { ns: flags.get("ns") }),
      ...(flags.get("prefix") === undefined ? {} : { prefix: flags.get("prefix") }),
      ...(pageSize === undefined ? {} : { pageSize }),
      ...(r === undefined ? {} : { r: /^[0-9]+$/.test(r) ? Number(r) : (r as "one" | "quorum" | "all") }),
      ...(flags.get("timeout-ms") === undefined ? {} : { timeoutMs: flags.get("timeout-ms") }),
    };
    for await (const key of client.keys(options)) out.stdout(`${key}\n`);
  } finally {
    client.close();
  }
  return 0;
}
