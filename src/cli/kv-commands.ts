import { readFileSync } from "node:fs";
import type { Client } from "../client/client.js";
import type { GetResult } from "../client/http-client.js";
import { TTL_S_MAX } from "../core/expiry.js";
import { ConfigError } from "../errors.js";
import { CLIENT_FLAGS, kvClientFromFlags, type NodeFlags, NS_FLAG, TIMEOUT_FLAG } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

/** `--r` or `--w`, keeping its name in the spec's type. */
function quorumFlag<N extends "r" | "w">(
  name: N,
): { readonly name: N; readonly type: "string"; readonly description: string } {
  return {
    name,
    type: "string",
    description: `${name === "r" ? "read" : "write"} quorum: 1..N, one, quorum or all (default: the cluster's)`,
  };
}

/** A conditional write: applied only if the key's current context is this one. */
const IF_MATCH_FLAG = {
  name: "if-match",
  type: "string",
  description: "write only if the key's current context (read at --r) is exactly this one (else 412, exit 1)",
} as const;

export const getSpec = {
  name: "get",
  summary: "Read a key. Prints the value; with siblings prints each one and the context that resolves them.",
  usage: "ringkv get <key> [--ns NS] [--node URL] [--r N] [--json] [--verbose]",
  positionals: [1, 1],
  flags: [
    ...CLIENT_FLAGS,
    NS_FLAG,
    quorumFlag("r"),
    TIMEOUT_FLAG,
    { name: "json", type: "boolean", description: "print the whole answer as JSON (values base64)" },
    {
      name: "verbose",
      short: "v",
      type: "boolean",
      description: "also print status, content type and context to stderr",
    },
  ],
} as const satisfies CommandSpec;

export const putSpec = {
  name: "put",
  summary:
    "Write a key. The value comes from the argument, --file (- for stdin) or piped stdin. Prints the new context.",
  usage:
    "ringkv put <key> [value] [--ns NS] [--file path|-] [--content-type T] [--context C] [--ttl SECONDS] [--if-none-match | --if-match C] [--node URL] [--w N] [--r N]",
  positionals: [1, 2],
  flags: [
    ...CLIENT_FLAGS,
    NS_FLAG,
    quorumFlag("w"),
    TIMEOUT_FLAG,
    {
      name: "file",
      short: "f",
      type: "string",
      description: "read the value from this file, or - for stdin",
    },
    { name: "content-type", short: "t", type: "string", description: "Content-Type stored with the value" },
    {
      name: "context",
      short: "c",
      type: "string",
      description: "causal context from a read (supersedes what it covers)",
    },
    {
      name: "ttl",
      type: "integer",
      description: "expire the value this many seconds after the write (ttl_s; 1..315360000)",
    },
    quorumFlag("r"),
    {
      name: "if-none-match",
      type: "boolean",
      description: "create only: write only if a read at --r finds no live value (else 412, exit 1)",
    },
    IF_MATCH_FLAG,
  ],
} as const satisfies CommandSpec;

export const deleteSpec = {
  name: "delete",
  summary:
    "Delete a key (with --context, only the versions that context covers). Prints the tombstone's context.",
  usage: "ringkv delete <key> [--ns NS] [--context C] [--if-match C] [--node URL] [--w N] [--r N]",
  positionals: [1, 1],
  flags: [
    ...CLIENT_FLAGS,
    NS_FLAG,
    quorumFlag("w"),
    TIMEOUT_FLAG,
    { name: "context", short: "c", type: "string", description: "causal context from a read" },
    quorumFlag("r"),
    IF_MATCH_FLAG,
  ],
} as const satisfies CommandSpec;

function quorum(value: string | undefined, name: "r" | "w"): number | "one" | "quorum" | "all" | undefined {
  if (value === undefined) return undefined;
  if (value === "one" || value === "quorum" || value === "all") return value;
  if (!/^[0-9]+$/.test(value))
    throw new ConfigError(`--${name} must be a number, one, quorum or all, got "${value}"`);
  return Number(value);
}

export async function runGet(flags: ParsedFlags<typeof getSpec>, out: Output): Promise<number> {
  const key = flags.positionals[0] ?? "";
  const params = { ns: flags.get("ns"), r: quorum(flags.get("r"), "r"), timeoutMs: flags.get("timeout-ms") };
  const result = await withKvClient(flags, (client) => client.get(key, params));
  if (flags.get("json")) {
    out.stdout(`${JSON.stringify(getResultJson(result))}\n`);
    return result.status === 404 ? 1 : 0;
  }
  if (result.status === 404) {
    out.stderr(`not found${result.context === undefined ? "" : ` (deleted; context ${result.context})`}\n`);
    return 1;
  }
  if (result.status === 200) {
    if (flags.get("verbose")) {
      out.stderr(`200 ${result.contentType}\ncontext: ${result.context}\n`);
      if (result.expiresAtMs !== undefined)
        out.stderr(`expires at: ${new Date(result.expiresAtMs).toISOString()} (${result.expiresAtMs})\n`);
    }
    out.stdout(result.value);
    if (out.stdoutIsTTY && !endsWithNewline(result.value)) out.stdout("\n");
    return 0;
  }
  out.stderr(
    `${result.siblings.length} siblings (concurrent versions); resolve with: ringkv put ${key} <value>${params.ns === undefined ? "" : ` --ns ${params.ns}`} --context ${result.context}\n`,
  );
  result.siblings.forEach((s, i) => {
    out.stdout(`--- sibling ${i + 1} (${s.contentType})\n`);
    out.stdout(s.value);
    if (!endsWithNewline(s.value)) out.stdout("\n");
  });
  return 0;
}

function getResultJson(result: GetResult): Record<string, unknown> {
  if (result.status === 200) {
    return {
      status: 200,
      context: result.context,
      contentType: result.contentType,
      value: Buffer.from(result.value).toString("base64"),
      ...(result.expiresAtMs === undefined ? {} : { expiresAtMs: result.expiresAtMs }),
    };
  }
  if (result.status === 300) {
    return {
      status: 300,
      context: result.context,
      siblings: result.siblings.map((s) => ({
        contentType: s.contentType,
        value: Buffer.from(s.value).toString("base64"),
        ...(s.expiresAtMs === undefined ? {} : { expiresAtMs: s.expiresAtMs }),
      })),
    };
  }
  return { status: 404, context: result.context ?? null };
}

function endsWithNewline(value: Uint8Array): boolean {
  return value.length > 0 && value[value.length - 1] === 0x0a;
}

export async function runPut(flags: ParsedFlags<typeof putSpec>, out: Output): Promise<number> {
  const key = flags.positionals[0] ?? "";
  const value = await putValue(flags, out);
  const options = {
    ns: flags.get("ns"),
    w: quorum(flags.get("w"), "w"),
    timeoutMs: flags.get("timeout-ms"),
    context: flags.get("context"),
    contentType: flags.get("content-type"),
    ttlS: ttlSeconds(flags.get("ttl")),
    r: quorum(flags.get("r"), "r"),
    ifNoneMatch: flags.get("if-none-match"),
    ifMatch: flags.get("if-match"),
  };
  if (options.ifNoneMatch === true && options.ifMatch !== undefined)
    throw new ConfigError("put: give --if-none-match or --if-match, not both");
  const written = await withKvClient(flags, (client) => client.put(key, value, options));
  out.stdout(`${written.context}\n`);
  return 0;
}

/** `--ttl`: checked here too, so a typo is a usage error before anything is sent. */
function ttlSeconds(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value < 1 || value > TTL_S_MAX)
    throw new ConfigError(`put: --ttl must be 1..${TTL_S_MAX} seconds, got ${value}`);
  return value;
}

async function putValue(flags: ParsedFlags<typeof putSpec>, out: Output): Promise<Uint8Array> {
  const inline = flags.positionals[1];
  const file = flags.get("file");
  if (inline !== undefined && file !== undefined)
    throw new ConfigError("put: give the value as an argument or --file, not both");
  if (inline !== undefined) return Buffer.from(inline, "utf8");
  if (file !== undefined && file !== "-") {
    try {
      return readFileSync(file);
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new ConfigError(`put: cannot read --file ${file} (${reason})`);
    }
  }
  if (file === undefined && out.stdinIsTTY) {
    throw new ConfigError("put: no value: give it as an argument, with --file, or on stdin");
  }
  return out.readStdin();
}

export async function runDelete(flags: ParsedFlags<typeof deleteSpec>, out: Output): Promise<number> {
  const key = flags.positionals[0] ?? "";
  const options = {
    ns: flags.get("ns"),
    w: quorum(flags.get("w"), "w"),
    timeoutMs: flags.get("timeout-ms"),
    context: flags.get("context"),
    r: quorum(flags.get("r"), "r"),
    ifMatch: flags.get("if-match"),
  };
  const context = await withKvClient(flags, (client) => client.delete(key, options));
  out.stdout(`${context ?? ""}\n`);
  return 0;
}

async function withKvClient<T>(flags: NodeFlags, run: (client: Client) => Promise<T>): Promise<T> {
  const client = await kvClientFromFlags(flags);
  try {
    return await run(client);
  } finally {
    client.close();
  }
}
