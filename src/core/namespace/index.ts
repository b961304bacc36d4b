/**
 * Namespaces (API.md "Namespaces"): names, the stored key encoding that keeps namespaces apart
 * everywhere keys go (storage, hints, anti-entropy, transfer, listing), and the properties that
 * set a namespace's defaults. Pure: the HTTP edge and the node feed it.
 */
export {
  decodeKey,
  encodeKey,
  NAMESPACE_KEY_OVERHEAD_BYTES,
  type NamespacedKey,
  namespaceBase,
  namespaceOf,
  namespaceRange,
  type StoredRange,
} from "./key-encoding.js";
export { DEFAULT_NAMESPACE, isNamespaceName, NAMESPACE_NAME_PATTERN, NAMESPACE_NAME_RULE } from "./name.js";
export {
  type ClusterDefaults,
  type EffectiveOptions,
  effectiveOptions,
  mergeProperties,
  NAMESPACE_N_MAX,
  NAMESPACE_PROPERTY_NAMES,
  NAMESPACE_SIBLINGS_MAX,
  type NamespaceProperties,
  type NamespacePropertyName,
  type PropertiesParse,
  parsePropertyChange,
  propertiesOf,
  type RequestedOptions,
} from "./properties.js";
export { NamespaceReplicaCounts, type ReplicaCounts, uniformReplicaCounts } from "./replica-counts.js";
