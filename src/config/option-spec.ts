import { ConfigError } from "../errors.js";
import { type Address, formatAddress, parseAddress } from "./address.js";

/**
 * The kinds of entries of the option table (option-table.ts) and the builders that make them.
 * An entry says where its value comes from (a `ringkv start` flag, or none for an internal
 * tunable), its default, how a flag's value becomes the option's value, and how it is checked.
 * The option types are derived from the entries (option-types.ts), so an option is spelled once.
 */

/** How `ringkv start` parses an option's flag (src/cli/flags.ts). */
export type FlagType = "string" | "integer" | "boolean";

/** A flag's value as the flag parser gives it: text, a checked non-negative integer, or set/unset. */
export type FlagInput = string | number | boolean;

export interface OptionSpec<
  V,
  F extends string | undefined = string | undefined,
  K extends FlagType = FlagType,
> {
  readonly required: false;
  /** The `ringkv start` flag (also `RINGKV_<FLAG>`); undefined for an internal tunable. */
  readonly flag: F;
  readonly flagType: K;
  readonly help: string;
  /** The value when the flag is not given. */
  readonly default: V;
  /** What help and the README show as the default; undefined: none is shown. */
  readonly shownDefault: string | undefined;
  // Methods, not function properties: a table of specs of many value types is then one OptionGroup.
  fromFlag(input: FlagInput, label: string): V;
  /** Throws a ConfigError naming `label` (the flag, or the option's path) when the value is out of bounds. */
  check(value: V, label: string): void;
}

/** An integer option and its bounds (inclusive). */
export interface IntegerSpec<V extends number | undefined, F extends string | undefined>
  extends OptionSpec<V, F, "integer"> {
  readonly min: number;
  readonly max: number;
}

/**
 * A value with no default that whoever builds the options must give (the node id, its data
 * directory). `ringkv start` reads these flags itself: `--data-dir` falls back to ./data/<id>.
 */
export interface RequiredSpec<F extends string = string> {
  readonly required: true;
  readonly flag: F;
  readonly flagType: "string";
  readonly help: string;
  readonly shownDefault: string | undefined;
}

export type AnyOptionSpec = OptionSpec<unknown> | RequiredSpec;

/** A table, or a group of it: named specs and named groups. */
export interface OptionGroup {
  readonly [name: string]: AnyOptionSpec | OptionGroup;
}

export function isOptionSpec(entry: AnyOptionSpec | OptionGroup): entry is AnyOptionSpec {
  return "flagType" in entry && typeof entry.flagType === "string";
}

interface Common<F extends string | undefined> {
  flag?: F;
  help: string;
  /** Shown instead of the default value (or where there is none), e.g. "a majority of N". */
  shownDefault?: string;
}

const noCheck = (): void => {};

export function checkInteger(value: number, label: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${label} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** An integer in min..max with a default. */
export function integer<F extends string | undefined = undefined>(
  o: Common<F> & { default: number; min: number; max: number },
): IntegerSpec<number, F | undefined> {
  return {
    ...integerBase(o),
    default: o.default,
    shownDefault: o.shownDefault ?? String(o.default),
    check: (value, label) => checkInteger(value, label, o.min, o.max),
  };
}

/** An integer in min..max that may be left unset (a cluster setting a joining node adopts). */
export function optionalInteger<F extends string | undefined = undefined>(
  o: Common<F> & { min: number; max: number },
): IntegerSpec<number | undefined, F | undefined> {
  return {
    ...integerBase(o),
    default: undefined,
    shownDefault: o.shownDefault,
    check: (value, label) => {
      if (value !== undefined) checkInteger(value, label, o.min, o.max);
    },
  };
}

function integerBase<F extends string | undefined>(o: Common<F> & { min: number; max: number }) {
  return {
    required: false,
    flag: o.flag,
    flagType: "integer",
    help: o.help,
    min: o.min,
    max: o.max,
    fromFlag: (input: FlagInput) => Number(input),
  } as const;
}

/** Free text with a default (its format is checked by validateNodeOptions). */
export function text<F extends string | undefined = undefined>(
  o: Common<F> & { default: string },
): OptionSpec<string, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: o.default,
    shownDefault: o.shownDefault ?? o.default,
    fromFlag: (input) => String(input),
    check: noCheck,
  };
}

/** Text that may be left unset (a file path); an empty value counts as unset. */
export function optionalText<F extends string | undefined = undefined>(
  o: Common<F>,
): OptionSpec<string | undefined, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: undefined,
    shownDefault: o.shownDefault,
    fromFlag: (input) => (input === "" ? undefined : String(input)),
    check: noCheck,
  };
}

/** Text without a default that the caller must give (see RequiredSpec). */
export function required<F extends string>(o: Common<F> & { flag: F }): RequiredSpec<F> {
  return { required: true, flag: o.flag, flagType: "string", help: o.help, shownDefault: o.shownDefault };
}

/** One of a fixed set of words. */
export function choice<C extends string, F extends string | undefined = undefined>(
  choices: readonly C[],
  o: Common<F> & { default: C },
): OptionSpec<C, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: o.default,
    shownDefault: o.shownDefault ?? o.default,
    fromFlag: (input, label) => oneOf(choices, String(input), label),
    check: noCheck,
  };
}

/** One of a fixed set of words, or unset. */
export function optionalChoice<C extends string, F extends string | undefined = undefined>(
  choices: readonly C[],
  o: Common<F>,
): OptionSpec<C | undefined, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: undefined,
    shownDefault: o.shownDefault,
    fromFlag: (input, label) => oneOf(choices, String(input), label),
    check: noCheck,
  };
}

function oneOf<C extends string>(choices: readonly C[], value: string, label: string): C {
  const found = choices.find((c) => c === value);
  if (found !== undefined) return found;
  const list = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(", ")}`;
  throw new ConfigError(`${label} must be ${list}, got "${value}"`);
}

/** On when the flag is given (or its variable is 1 or true), off otherwise. */
export function toggle<F extends string | undefined = undefined>(
  o: Common<F>,
): OptionSpec<boolean, F | undefined, "boolean"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "boolean",
    help: o.help,
    default: false,
    shownDefault: o.shownDefault,
    fromFlag: (input) => input === true,
    check: noCheck,
  };
}

/** A `host:port` address with a default; port 0 (pick a free port) only where `portZero`. */
export function address<F extends string | undefined = undefined>(
  o: Common<F> & { default: Address; portZero: boolean },
): OptionSpec<Address, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: o.default,
    shownDefault: o.shownDefault ?? formatAddress(o.default),
    fromFlag: (input, label) => parseAddress(String(input), label, o.portZero),
    check: noCheck,
  };
}

/** An address that may be unset; an empty value counts as unset. Port 0 is refused. */
export function optionalAddress<F extends string | undefined = undefined>(
  o: Common<F>,
): OptionSpec<Address | undefined, F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: undefined,
    shownDefault: o.shownDefault,
    fromFlag: (input, label) => (input === "" ? undefined : parseAddress(String(input), label)),
    check: noCheck,
  };
}

/** A comma-separated list of addresses, empty by default. Port 0 is refused. */
export function addressList<F extends string | undefined = undefined>(
  o: Common<F>,
): OptionSpec<Address[], F | undefined, "string"> {
  return {
    required: false,
    flag: o.flag,
    flagType: "string",
    help: o.help,
    default: [],
    shownDefault: o.shownDefault,
    fromFlag: (input, label) => {
      const list = String(input);
      return list === "" ? [] : list.split(",").map((s) => parseAddress(s, label));
    },
    check: noCheck,
  };
}
