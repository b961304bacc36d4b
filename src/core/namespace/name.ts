/** The namespace `/kv/{key}` addresses, and the one existing data was written in. */
export const DEFAULT_NAMESPACE = "default";

/** A namespace name: 1-64 of `A-Za-z0-9._-` (API.md "Namespaces"), so it is ASCII and never holds 0x00. */
export const NAMESPACE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The rule a bad name breaks, worded for a 400 answer. */
export const NAMESPACE_NAME_RULE = "a namespace name is 1-64 of A-Z a-z 0-9 . _ -";

export function isNamespaceName(text: string): boolean {
  return NAMESPACE_NAME_PATTERN.test(text);
}
