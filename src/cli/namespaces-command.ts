import type { NamespaceInfo, NamespacePropertiesChange } from "../client/namespace-answers.js";
import { ConfigError } from "../errors.js";
import { CLIENT_FLAGS, kvClientFromFlags } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const namespacesSpec = {
  name: "namespaces",
  summary: "List namespaces, show one, or set its properties (admin).",
  usage:
    "ringkv namespaces list | ringkv namespaces get <ns> | ringkv namespaces set <ns> [--n N] [--r R] [--w W] [--ttl-seconds S] [--max-siblings M]",
  positionals: [1, 2],
  flags: [
    ...CLIENT_FLAGS,
    {
      name: "n",
      type: "integer",
      description: "set: replicas per key (only the cluster's N, and only while the namespace is empty)",
    },
    { name: "r", type: "integer", description: "set: read quorum of requests that give none" },
    { name: "w", type: "integer", description: "set: write quorum of requests that give none" },
    { name: "ttl-seconds", type: "integer", description: "set: expiry of writes that give no --ttl" },
    { name: "max-siblings", type: "integer", description: "set: a write leaving more siblings is refused" },
    { name: "json", type: "boolean", description: "print JSON" },
  ],
} as const satisfies CommandSpec;

export async function runNamespaces(flags: ParsedFlags<typeof namespacesSpec>, out: Output): Promise<number> {
  const [action, name] = flags.positionals;
  const change = propertyFlags(flags);
  if (action !== "set" && Object.keys(change).length > 0)
    throw new ConfigError(`namespaces ${action ?? ""}: property flags go with set only`);
  const client = await kvClientFromFlags(flags);
  try {
    switch (action) {
      case "list": {
        if (name !== undefined) throw new ConfigError("namespaces list takes no name");
        const namespaces = await client.namespaces();
        if (flags.get("json")) out.stdout(`${JSON.stringify({ namespaces })}\n`);
        else {
          out.stdout("NAME\tN\tR\tW\tTTL_SECONDS\tMAX_SIBLINGS\n");
          for (const ns of namespaces) out.stdout(`${row(ns)}\n`);
        }
        return 0;
      }
      case "get": {
        if (name === undefined)
          throw new ConfigError("namespaces get: give the namespace: ringkv namespaces get sessions");
        print(await client.namespace(name), flags.get("json") === true, out);
        return 0;
      }
      case "set": {
        if (name === undefined)
          throw new ConfigError(
            "namespaces set: give the namespace: ringkv namespaces set sessions --ttl-seconds 3600",
          );
        if (Object.keys(change).length === 0)
          throw new ConfigError(
            "namespaces set: give at least one of --n, --r, --w, --ttl-seconds, --max-siblings",
          );
        print(await client.setNamespace(name, change), flags.get("json") === true, out);
        return 0;
      }
      default:
        throw new ConfigError(`namespaces: unknown action "${action ?? ""}"; use list, get or set`);
    }
  } finally {
    client.close();
  }
}

function propertyFlags(flags: ParsedFlags<typeof namespacesSpec>): NamespacePropertiesChange {
  const change: NamespacePropertiesChange = {};
  const n = flags.get("n");
  const r = flags.get("r");
  const w = flags.get("w");
  const ttl = flags.get("ttl-seconds");
  const siblings = flags.get("max-siblings");
  if (n !== undefined) change.n = n;
  if (r !== undefined) change.r = r;
  if (w !== undefined) change.w = w;
  if (ttl !== undefined) change.ttlSeconds = ttl;
  if (siblings !== undefined) change.maxSiblings = siblings;
  return change;
}

function row(ns: NamespaceInfo): string {
  return [ns.name, ns.n, ns.r, ns.w, ns.ttlSeconds ?? "-", ns.maxSiblings].join("\t");
}

function print(ns: NamespaceInfo, json: boolean, out: Output): void {
  if (json) {
    out.stdout(`${JSON.stringify(ns)}\n`);
    return;
  }
  const own = (name: keyof NamespaceInfo["configured"]): string =>
    ns.configured[name] === undefined ? " (cluster default)" : "";
  out.stdout(`namespace ${ns.name}\n`);
  out.stdout(`n: ${ns.n}${own("n")}\nr: ${ns.r}${own("r")}\nw: ${ns.w}${own("w")}\n`);
  out.stdout(`ttlSeconds: ${ns.ttlSeconds ?? "none"}${own("ttlSeconds")}\n`);
  out.stdout(`maxSiblings: ${ns.maxSiblings}${own("maxSiblings")}\n`);
}
