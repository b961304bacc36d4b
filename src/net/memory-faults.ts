import type { Random } from "../random/random.js";

/** What goes wrong on one directed link of the in-memory network. */
export interface LinkFault {
  /** Probability in [0, 1] that a packet is lost. */
  dropRate?: number;
  /** Each packet is delayed by a uniformly random whole number of ms in [min, max]; packets may overtake each other. */
  delayMs?: readonly [number, number];
  /** Probability in [0, 1] that a packet is delivered twice (each copy with its own delay). */
  duplicateRate?: number;
}

const UINT32_RANGE = 2 ** 32;

/**
 * The network's faults: partitions between groups of addresses and per-link drop, delay and
 * duplication. All randomness comes from the injected Random, and only links with a fault draw
 * from it, so a fault-free run consumes no random numbers.
 */
export class MemoryFaults {
  private readonly partitions: Array<{ a: ReadonlySet<string>; b: ReadonlySet<string> }> = [];
  private readonly links = new Map<string, LinkFault>();
  /** The fault of every link that has none of its own (a lossy network as a whole). */
  private defaultFault: LinkFault | undefined;

  constructor(private readonly random: Random) {}

  partition(groupA: readonly string[], groupB: readonly string[]): void {
    const a = new Set(groupA);
    const b = new Set(groupB);
    for (const address of a) {
      if (b.has(address)) throw new RangeError(`address ${address} is on both sides of the partition`);
    }
    this.partitions.push({ a, b });
  }

  heal(): void {
    this.partitions.length = 0;
  }

  setLinkFault(from: string, to: string, fault: LinkFault): void {
    if (isNoFault(checkFault(fault))) this.links.delete(linkKey(from, to));
    else this.links.set(linkKey(from, to), { ...fault });
  }

  /** Sets the fault of every link without its own (`{}` clears it); link faults take precedence. */
  setDefaultLinkFault(fault: LinkFault): void {
    this.defaultFault = isNoFault(checkFault(fault)) ? undefined : { ...fault };
  }

  /** Clears every link's fault and the default one. */
  clearLinkFaults(): void {
    this.links.clear();
    this.defaultFault = undefined;
  }

  isPartitioned(from: string, to: string): boolean {
    return this.partitions.some(({ a, b }) => (a.has(from) && b.has(to)) || (b.has(from) && a.has(to)));
  }

  /** The delays (ms) of the copies of one packet to deliver: none when it is lost. */
  deliveryDelaysMs(from: string, to: string): number[] {
    if (this.isPartitioned(from, to)) return [];
    const fault = this.links.get(linkKey(from, to)) ?? this.defaultFault;
    if (fault === undefined) return [0];
    if (fault.dropRate !== undefined && this.chance(fault.dropRate)) return [];
    const copies = fault.duplicateRate !== undefined && this.chance(fault.duplicateRate) ? 2 : 1;
    const delays: number[] = [];
    for (let i = 0; i < copies; i++) delays.push(this.delayMs(fault.delayMs));
    return delays;
  }

  private chance(rate: number): boolean {
    return rate > 0 && this.random.uint32() / UINT32_RANGE < rate;
  }

  private delayMs(range: readonly [number, number] | undefined): number {
    if (range === undefined) return 0;
    const [min, max] = range;
    return min === max ? min : min + (this.random.uint32() % (max - min + 1));
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\n${to}`;
}

function checkFault(fault: LinkFault): LinkFault {
  checkRate("dropRate", fault.dropRate);
  checkRate("duplicateRate", fault.duplicateRate);
  if (fault.delayMs !== undefined) {
    const [min, max] = fault.delayMs;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
      throw new RangeError(
        `delayMs must be whole milliseconds [min, max] with 0 <= min <= max, got [${min}, ${max}]`,
      );
    }
  }
  return fault;
}

function isNoFault(fault: LinkFault): boolean {
  return !fault.dropRate && !fault.duplicateRate && fault.delayMs === undefined;
}

function checkRate(name: string, rate: number | undefined): void {
  if (rate !== undefined && !(rate >= 0 && rate <= 1))
    throw new RangeError(`${name} must be in [0, 1], got ${rate}`);
}
