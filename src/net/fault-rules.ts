import { BadRequestError } from "../errors.js";

/** What `/admin/faults` sets on a node started with `--enable-fault-injection`, and how a rule list is checked. */

export type FaultDirection = "in" | "out" | "both";
export type FaultMode = "drop" | "delay";

export interface FaultRule {
  /** The node id of the peer this rule affects (not its address: addresses change on restart). */
  readonly peer: string;
  /** "out": what this node sends to the peer; "in": what it receives from the peer; "both". */
  readonly direction: FaultDirection;
  /** "drop": lost as in a partition (no answer, not a refusal); "delay": delivered `delayMs` late. */
  readonly mode: FaultMode;
  /** Present exactly when `mode` is "delay". */
  readonly delayMs?: number;
}

export interface FaultController {
  /** Replaces every rule; a bad list is a BadRequestError and leaves the current rules in place. */
  set(rules: readonly FaultRule[]): void;
  /** Removes every rule (heals). */
  clear(): void;
  rules(): FaultRule[];
}

export const FAULT_RULES_MAX = 64;
export const FAULT_DELAY_MS_MAX = 60_000;
const PEER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const RULE_FIELDS: ReadonlySet<string> = new Set(["peer", "direction", "mode", "delayMs"]);

/**
 * Checks a rule list from outside (an HTTP body, a test) and returns normalized copies. Every
 * problem is a BadRequestError naming the offending rule and field.
 */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new BadRequestError("fault rules must be an array");
  if (value.length > FAULT_RULES_MAX) {
    throw new BadRequestError(`at most ${FAULT_RULES_MAX} fault rules are allowed, got ${value.length}`);
  }
  const rules: FaultRule[] = [];
  // Which rule already claims each (peer, one-way direction), so that overlapping rules, whose
  // combined meaning would be a guess, are refused.
  const claimed = new Map<string, number>();
  value.forEach((raw: unknown, index) => {
    const rule = parseFaultRule(raw, `rules[${index}]`);
    for (const direction of oneWayDirections(rule.direction)) {
      const key = `${rule.peer}\n${direction}`;
      const earlier = claimed.get(key);
      if (earlier !== undefined) {
        throw new BadRequestError(
          `rules[${index}]: peer ${rule.peer} already has a rule for direction "${direction}" (rules[${earlier}])`,
        );
      }
      claimed.set(key, index);
    }
    rules.push(rule);
  });
  return rules;
}

function parseFaultRule(raw: unknown, where: string): FaultRule {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BadRequestError(`${where}: a fault rule must be an object`);
  }
  const fields = raw as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!RULE_FIELDS.has(name)) {
      throw new BadRequestError(
        `${where}: unknown field "${name.slice(0, 64)}"; a rule has peer, direction, mode and delayMs`,
      );
    }
  }
  const { peer, direction, mode, delayMs } = fields;
  if (typeof peer !== "string" || !PEER_ID_PATTERN.test(peer)) {
    throw new BadRequestError(`${where}: peer must be a node id of 1..64 characters [A-Za-z0-9._-]`);
  }
  if (direction !== "in" && direction !== "out" && direction !== "both") {
    throw new BadRequestError(`${where}: direction must be "in", "out" or "both"`);
  }
  if (mode === "drop") {
    if (delayMs !== undefined) throw new BadRequestError(`${where}: delayMs applies only to mode "delay"`);
    return Object.freeze({ peer, direction, mode });
  }
  if (mode !== "delay") throw new BadRequestError(`${where}: mode must be "drop" or "delay"`);
  if (
    typeof delayMs !== "number" ||
    !Number.isInteger(delayMs) ||
    delayMs < 0 ||
    delayMs > FAULT_DELAY_MS_MAX
  ) {
    throw new BadRequestError(`${where}: mode "delay" needs delayMs, an integer in 0..${FAULT_DELAY_MS_MAX}`);
  }
  return Object.freeze({ peer, direction, mode, delayMs });
}

/** The one-way directions a rule's direction covers. */
export function oneWayDirections(direction: FaultDirection): Array<"in" | "out"> {
  return direction === "both" ? ["in", "out"] : [direction];
}
