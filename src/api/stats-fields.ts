/** The reason a /stats answer was not usable; the dashboard shows it in place of the figures. */
export class BadStatsError extends Error {}

/** Field checks for /stats bodies fetched from other members: each names the field it refuses. */
export function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadStatsError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

export function list(value: unknown, what: string, itemsMax: number): unknown[] {
  if (!Array.isArray(value)) throw new BadStatsError(`${what} is not an array`);
  if (value.length > itemsMax) throw new BadStatsError(`${what} has more than ${itemsMax} items`);
  return value;
}

export function figure(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new BadStatsError(`${what} is not a non-negative number`);
  return value;
}

export function nullableFigure(value: unknown, what: string): number | null {
  return value === null ? null : figure(value, what);
}

export function count(value: unknown, what: string): number {
  const n = figure(value, what);
  if (!Number.isSafeInteger(n)) throw new BadStatsError(`${what} is not an integer`);
  return n;
}

export function text(value: unknown, what: string, lengthMin: number, lengthMax: number): string {
  if (typeof value !== "string" || value.length < lengthMin || value.length > lengthMax)
    throw new BadStatsError(`${what} is not a string of ${lengthMin}..${lengthMax} characters`);
  return value;
}
