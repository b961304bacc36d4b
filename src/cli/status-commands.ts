import type { MemberInfo, RingInfo } from "../api/interface.js";
import { CLIENT_FLAGS, clientFromFlags } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const statusSpec = {
  name: "status",
  summary: "Show a node's health, the cluster's members and the ring's shape.",
  usage: "ringkv status [--node URL] [--json]",
  positionals: [0, 0],
  flags: [...CLIENT_FLAGS, { name: "json", type: "boolean", description: "print JSON" }],
} as const satisfies CommandSpec;

export const ringSpec = {
  name: "ring",
  summary: "Show the ring: partitions per node and each partition's preference list.",
  usage: "ringkv ring [--node URL] [--json]",
  positionals: [0, 0],
  flags: [...CLIENT_FLAGS, { name: "json", type: "boolean", description: "print the /cluster/ring JSON" }],
} as const satisfies CommandSpec;

export async function runStatus(flags: ParsedFlags<typeof statusSpec>, out: Output): Promise<number> {
  const client = clientFromFlags(flags);
  const health = await client.getJson<{ status: string; id: string }>("/health");
  const { members } = await client.getJson<{ members: MemberInfo[] }>("/cluster/members");
  const ring = await client.getJson<RingInfo>("/cluster/ring");
  if (flags.get("json")) {
    out.stdout(`${JSON.stringify({ health, members, ring: summarize(ring) })}\n`);
    return 0;
  }
  const owned = ownedCounts(ring);
  out.stdout(`node ${health.id} at ${client.baseUrl}: ${health.status}\n`);
  out.stdout(
    `cluster: ${members.length} members, Q=${ring.partitions} N=${ring.n} R=${ring.r} W=${ring.w}\n\n`,
  );
  const rows = [
    ["ID", "ZONE", "STATE", "STATUS", "PARTITIONS", "RECEIVING", "MOVED", "KEYS", "HINTS", "LISTEN", "HTTP"],
  ];
  for (const m of members) {
    rows.push([
      m.id,
      // A node that predates zones sends no zone field at all.
      m.zone ?? "-",
      m.state,
      m.status,
      String(owned.get(m.id) ?? 0),
      String(m.transfer.remaining),
      `${m.transfer.keys} keys/${m.transfer.bytes} B`,
      String(m.load.keys),
      String(m.load.hints),
      m.listen,
      m.http,
    ]);
  }
  out.stdout(table(rows));
  return 0;
}

export async function runRing(flags: ParsedFlags<typeof ringSpec>, out: Output): Promise<number> {
  const ring = await clientFromFlags(flags).getJson<RingInfo>("/cluster/ring");
  if (flags.get("json")) {
    out.stdout(`${JSON.stringify(ring)}\n`);
    return 0;
  }
  out.stdout(`Q=${ring.partitions} N=${ring.n} R=${ring.r} W=${ring.w}\n`);
  const rows = [["NODE", "PRIMARY PARTITIONS"]];
  for (const [id, count] of ownedCounts(ring)) rows.push([id, String(count)]);
  out.stdout(table(rows));
  return 0;
}

function ownedCounts(ring: RingInfo): Map<string, number> {
  const counts = new Map<string, number>();
  for (const list of ring.owners) {
    const first = list[0];
    if (first !== undefined) counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return counts;
}

function summarize(ring: RingInfo): Record<string, unknown> {
  return {
    partitions: ring.partitions,
    n: ring.n,
    r: ring.r,
    w: ring.w,
    primaries: Object.fromEntries(ownedCounts(ring)),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
