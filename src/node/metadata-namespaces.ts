import type { NamespaceDirectory } from "../api/interface.js";
import type { ClusterMetadata } from "../cluster/metadata/index.js";
import { type NamespaceProperties, propertiesOf } from "../core/namespace/index.js";

/**
 * Namespace properties as entries of the cluster metadata's `namespaces` space, keyed by name:
 * so a change is on every node within the metadata's push (or its next anti-entropy round),
 * durable, and reaches nodes that join later. Each entry is one LWW register: two nodes changing
 * one namespace at the same moment both succeed and one whole record wins.
 */
export class MetadataNamespaces implements NamespaceDirectory {
  constructor(private readonly metadata: ClusterMetadata) {}

  properties(namespace: string): NamespaceProperties {
    return propertiesOf(this.metadata.get("namespaces", namespace));
  }

  list(): [string, NamespaceProperties][] {
    return this.metadata.list("namespaces").map(([name, value]) => [name, propertiesOf(value)]);
  }

  async set(namespace: string, properties: NamespaceProperties): Promise<void> {
    const value: Record<string, number> = {};
    for (const [name, v] of Object.entries(properties)) if (typeof v === "number") value[name] = v;
    await this.metadata.set("namespaces", namespace, value);
  }
}
