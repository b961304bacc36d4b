import { makeClusterCerts } from "../security/index.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const certsSpec = {
  name: "certs",
  summary: "Create a CA and certificates for a cluster's nodes (CN = node id) and clients, with openssl.",
  usage:
    "ringkv certs --dir ./certs --nodes n1,n2,n3 [--clients app1] [--hosts localhost,127.0.0.1] [--days 825] [--force]",
  positionals: [0, 0],
  flags: [
    {
      name: "dir",
      type: "string",
      default: "./certs",
      description: "where ca.pem, <id>.pem and <id>-key.pem go (an existing CA there is reused)",
    },
    { name: "nodes", type: "string", description: "comma-separated node ids" },
    {
      name: "clients",
      type: "string",
      description: "comma-separated client certificate names (CN = a token name)",
    },
    {
      name: "hosts",
      type: "string",
      default: "localhost,127.0.0.1",
      description: "host names and addresses for the nodes' certificates (SANs)",
    },
    { name: "days", type: "integer", default: "825", description: "validity in days" },
    {
      name: "force",
      type: "boolean",
      description: "replace existing node and client certificates (never the CA)",
    },
  ],
} as const satisfies CommandSpec;

const list = (text: string | undefined): string[] =>
  (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

export async function runCerts(flags: ParsedFlags<typeof certsSpec>, out: Output): Promise<number> {
  const result = makeClusterCerts({
    dir: flags.get("dir"),
    nodes: list(flags.get("nodes")),
    clients: list(flags.get("clients")),
    hosts: list(flags.get("hosts")),
    days: flags.get("days"),
    force: flags.get("force"),
  });
  out.stdout(`${result.caCreated ? "created" : "reused"} CA ${result.ca}\n`);
  for (const file of result.written) if (file !== result.ca) out.stdout(`wrote ${file}\n`);
  for (const file of result.kept) out.stdout(`kept ${file} (exists; --force replaces it)\n`);
  return 0;
}
