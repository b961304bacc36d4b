import { isRole, ROLES } from "../api/auth/interface.js";
import { ConfigError } from "../errors.js";
import { CLIENT_FLAGS, clientFromFlags } from "./client-flags.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";
import type { Output } from "./output.js";

export const tokenSpec = {
  name: "token",
  summary: "Create, list or revoke client tokens (admin; needs a node started with --auth required).",
  usage:
    "ringkv token create <name> --role read|readwrite|admin | ringkv token list | ringkv token revoke <name>",
  positionals: [1, 2],
  flags: [
    ...CLIENT_FLAGS,
    { name: "role", type: "string", description: `create: ${ROLES.join(", ")}` },
    { name: "json", type: "boolean", description: "print JSON" },
  ],
} as const satisfies CommandSpec;

interface CreatedToken {
  name: string;
  role: string;
  token: string;
}

interface TokenList {
  tokens: { name: string; role: string; createdAtMs: number }[];
}

export async function runToken(flags: ParsedFlags<typeof tokenSpec>, out: Output): Promise<number> {
  const [action, name] = flags.positionals;
  const client = clientFromFlags(flags);
  switch (action) {
    case "create": {
      const role = flags.get("role");
      if (name === undefined)
        throw new ConfigError(
          "token create: give the token's name: ringkv token create app1 --role readwrite",
        );
      if (!isRole(role)) throw new ConfigError(`token create: --role must be one of ${ROLES.join(", ")}`);
      const created = await client.postJson<CreatedToken>("/admin/tokens", { name, role });
      if (flags.get("json")) out.stdout(`${JSON.stringify(created)}\n`);
      else {
        out.stdout(`${created.token}\n`);
        out.stderr(
          `token ${created.name} (${created.role}) created; this is the only time its secret is shown\n`,
        );
      }
      return 0;
    }
    case "list": {
      if (name !== undefined) throw new ConfigError("token list takes no name");
      const { tokens } = await client.getJson<TokenList>("/admin/tokens");
      if (flags.get("json")) out.stdout(`${JSON.stringify({ tokens })}\n`);
      else
        for (const t of tokens)
          out.stdout(`${t.name}\t${t.role}\t${new Date(t.createdAtMs).toISOString()}\n`);
      return 0;
    }
    case "revoke": {
      if (name === undefined) throw new ConfigError("token revoke: give the token's name");
      await client.deleteResource(`/admin/tokens/${encodeURIComponent(name)}`);
      out.stdout(`token ${name} revoked (every node refuses it within seconds)\n`);
      return 0;
    }
    default:
      throw new ConfigError(`token: unknown action "${action ?? ""}"; use create, list or revoke`);
  }
}
