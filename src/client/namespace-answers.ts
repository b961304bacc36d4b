/** A namespace property change: any of these, each merged over what the namespace had. */
export interface NamespacePropertiesChange {
  n?: number;
  r?: number;
  w?: number;
  ttlSeconds?: number;
  maxSiblings?: number;
}

/** A namespace as a node shows it: the values its requests run with, and what was set for it. */
export interface NamespaceInfo {
  name: string;
  n: number;
  r: number;
  w: number;
  /** null: writes that set no ttl do not expire. */
  ttlSeconds: number | null;
  maxSiblings: number;
  configured: NamespacePropertiesChange;
}

/** One namespace of an answer, checked field by field. */
export function namespaceInfo(raw: unknown): NamespaceInfo {
  if (typeof raw !== "object" || raw === null) throw new Error("a namespace answer is not a JSON object");
  const { name, n, r, w, ttlSeconds, maxSiblings, configured } = raw as Record<string, unknown>;
  const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  if (typeof name !== "string" || !isInt(n) || !isInt(r) || !isInt(w) || !isInt(maxSiblings))
    throw new Error("a namespace answer lacks name, n, r, w or maxSiblings");
  if (ttlSeconds !== null && !isInt(ttlSeconds))
    throw new Error("a namespace answer's ttlSeconds is not a number");
  const own: NamespacePropertiesChange = {};
  if (typeof configured === "object" && configured !== null)
    for (const [k, v] of Object.entries(configured))
      if (isInt(v) && (k === "n" || k === "r" || k === "w" || k === "ttlSeconds" || k === "maxSiblings"))
        own[k] = v;
  return { name, n, r, w, ttlSeconds, maxSiblings, configured: own };
}
