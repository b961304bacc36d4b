import { isRole, type StoredToken, type TokenDirectory } from "../api/auth/interface.js";
import type { ClusterMetadata } from "../cluster/metadata/index.js";
import type { MetadataValue } from "../core/metadata/entry.js";

/** The client tokens as entries of the cluster metadata's `tokens` space, keyed by name. */
export class MetadataTokens implements TokenDirectory {
  constructor(private readonly metadata: ClusterMetadata) {}

  find(name: string): StoredToken | undefined {
    return toToken(name, this.metadata.get("tokens", name));
  }

  list(): StoredToken[] {
    return this.metadata
      .list("tokens")
      .map(([name, value]) => toToken(name, value))
      .filter((t): t is StoredToken => t !== undefined);
  }

  async create(token: StoredToken): Promise<void> {
    await this.metadata.set("tokens", token.name, {
      role: token.role,
      hash: token.hash,
      createdAtMs: token.createdAtMs,
    });
  }

  async revoke(name: string): Promise<boolean> {
    if (this.metadata.get("tokens", name) === undefined) return false;
    await this.metadata.delete("tokens", name);
    return true;
  }
}

/** A stored value that is not a token (written by a newer version, say) is no token at all. */
function toToken(name: string, value: MetadataValue | undefined): StoredToken | undefined {
  if (value === undefined) return undefined;
  const { role, hash, createdAtMs } = value;
  if (!isRole(role) || typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
  return { name, role, hash, createdAtMs: typeof createdAtMs === "number" ? createdAtMs : 0 };
}
