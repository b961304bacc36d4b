/**
 * A set of integers stored as one ringkv value: a sorted JSON array. Siblings (a 300) are
 * resolved by union, which is exactly how a client of a causal store merges concurrent adds.
 */

export function encodeSet(elements: Iterable<number>): string {
  return JSON.stringify([...new Set(elements)].sort((a, b) => a - b));
}

/** Throws on anything that is not an array of integers: a value the workload never wrote. */
export function decodeSet(text: string): number[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((x) => Number.isSafeInteger(x))) {
    throw new Error(`not a set value: ${text.slice(0, 80)}`);
  }
  return value as number[];
}

export interface SetRead {
  elements: Set<number>;
  /** The context to write back with ("" when the key has none). */
  context: string;
  /** How many versions the read returned (1 for a 200, the sibling count for a 300, 0 for a 404). */
  versions: number;
}

/** Turns a GET answer (200, 300 or 404) into the set it holds; other statuses throw. */
export async function readSetResponse(res: Response): Promise<SetRead> {
  const context = res.headers.get("x-ringkv-context") ?? "";
  if (res.status === 404) {
    await res.arrayBuffer();
    return { elements: new Set(), context, versions: 0 };
  }
  if (res.status === 200) return { elements: new Set(decodeSet(await res.text())), context, versions: 1 };
  if (res.status === 300) {
    const body = (await res.json()) as { siblings: { value: string }[] };
    const elements = new Set<number>();
    for (const s of body.siblings) {
      for (const e of decodeSet(Buffer.from(s.value, "base64").toString("utf8"))) elements.add(e);
    }
    return { elements, context, versions: body.siblings.length };
  }
  throw new Error(`read answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}
