import type { MemberInfo } from "../api/interface.js";
import { NodeHttpClient } from "../client/http-client.js";
import { ConfigError } from "../errors.js";
import { CLIENT_FLAGS, clientFromFlags, securityFromFlags } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const leaveSpec = {
  name: "leave",
  summary:
    "Make a node hand its partitions and hints to the new owners and leave the cluster (its process exits 0).",
  usage: "ringkv leave [--node URL] [--no-wait]",
  positionals: [0, 0],
  flags: [
    ...CLIENT_FLAGS,
    { name: "no-wait", type: "boolean", description: "return at once instead of following the progress" },
  ],
} as const satisfies CommandSpec;

export const removeSpec = {
  name: "remove",
  summary: "Permanently remove a node that is down; the others re-create its replicas.",
  usage: "ringkv remove <id> [--node URL]",
  positionals: [1, 1],
  flags: [...CLIENT_FLAGS],
} as const satisfies CommandSpec;

export async function runLeave(flags: ParsedFlags<typeof leaveSpec>, out: Output): Promise<number> {
  const client = clientFromFlags(flags);
  const { id } = await client.getJson<{ id: string }>("/health");
  await client.postJson("/cluster/leave");
  out.stdout(`${id} is leaving: its partitions move to their new owners\n`);
  if (flags.get("no-wait")) return 0;
  // Follow the hand-over through another member once this one is gone.
  const { members } = await client.getJson<{ members: MemberInfo[] }>("/cluster/members");
  const scheme = new URL(client.baseUrl).protocol;
  const observers = members
    .filter((m) => m.id !== id && m.state === "active")
    .map(
      (m) =>
        new NodeHttpClient(`${scheme}//${m.http}`, { requestTimeoutMs: 2000, ...securityFromFlags(flags) }),
    );
  const deadline = Date.now() + 3_600_000;
  let lastLine = "";
  while (Date.now() < deadline) {
    const view = await firstAnswer([client, ...observers]);
    const me = view?.find((m) => m.id === id);
    const incoming = (view ?? []).filter((m) => m.transfer.remaining > 0);
    const keys = (view ?? []).reduce((sum, m) => sum + m.transfer.keys, 0);
    if (view !== undefined && (me === undefined || me.state === "left")) {
      if (out.stdoutIsTTY) out.stdout("\n");
      out.stdout(`${id} has left the cluster (${keys} keys moved)\n`);
      return 0;
    }
    const owned = me?.partitions ?? 0;
    const line = `${me?.state ?? "?"}: ${owned} partitions still owned, ${incoming.length} nodes receiving, ${keys} keys moved`;
    if (out.stdoutIsTTY)
      out.stdout(`\r${bar(owned, members.find((m) => m.id === id)?.partitions ?? owned)} ${line}   `);
    else if (line !== lastLine) out.stdout(`${line}\n`);
    lastLine = line;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new ConfigError("leave: still not done after an hour; see ringkv status");
}

function bar(left: number, total: number): string {
  const width = 30;
  const done = total === 0 ? width : Math.round(((total - left) / total) * width);
  return `[${"#".repeat(done)}${"-".repeat(width - done)}]`;
}

async function firstAnswer(clients: NodeHttpClient[]): Promise<MemberInfo[] | undefined> {
  for (const client of clients) {
    try {
      return (await client.getJson<{ members: MemberInfo[] }>("/cluster/members")).members;
    } catch {
      // Try the next one: the leaving node itself exits at the end.
    }
  }
  return undefined;
}

export async function runRemove(flags: ParsedFlags<typeof removeSpec>, out: Output): Promise<number> {
  const id = flags.positionals[0] ?? "";
  await clientFromFlags(flags).postJson(`/cluster/remove/${encodeURIComponent(id)}`);
  out.stdout(`${id} removed: the other nodes re-create its replicas (follow with ringkv status)\n`);
  return 0;
}
