import { type AnyOptionSpec, type FlagInput, isOptionSpec, type OptionGroup } from "./option-spec.js";
import type { OptionDefaults, OptionOverrides, OptionValues, TableFlags } from "./option-types.js";

/**
 * Walks an option table: its defaults, its values read from flags, overrides merged over them,
 * every value checked against its bounds, and its flags as flag specs. The walk is untyped inside
 * (a table's entries are visited by name at run time); each function's result has the type the
 * table derives, which the walk builds by construction.
 */

/** Where an option's value comes from: its flag's value, or undefined when the flag was not given. */
export type FlagLookup = (flag: string) => FlagInput | undefined;

/** Every entry of a group with its path (`gossip.intervalMs`), groups first-to-last as declared. */
function* entries(group: OptionGroup, prefix = ""): Generator<[string, AnyOptionSpec]> {
  for (const [name, entry] of Object.entries(group)) {
    if (isOptionSpec(entry)) yield [`${prefix}${name}`, entry];
    else yield* entries(entry, `${prefix}${name}.`);
  }
}

/** How an error names an option: its flag, or its path for an internal tunable. */
export function optionLabel(path: string, spec: AnyOptionSpec): string {
  return spec.flag === undefined ? `option ${path}` : `--${spec.flag}`;
}

/**
 * The table's values with each flag's value where `lookup` has one; values without a default
 * (RequiredSpec) are left out. A flag's value is parsed here (an address, a choice); bounds are
 * checked by checkOptions.
 */
export function readOptions<T extends OptionGroup>(table: T, lookup: FlagLookup): OptionDefaults<T> {
  const values: Record<string, unknown> = {};
  for (const [path, spec] of entries(table)) {
    if (spec.required) continue;
    const given = spec.flag === undefined ? undefined : lookup(spec.flag);
    // A copy, so no two option objects share a default's array or address.
    const value =
      given === undefined ? structuredClone(spec.default) : spec.fromFlag(given, optionLabel(path, spec));
    setPath(values, path, value);
  }
  return values as OptionDefaults<T>;
}

/** The table's defaults (no flags given). */
export function optionDefaultsOf<T extends OptionGroup>(table: T): OptionDefaults<T> {
  return readOptions(table, () => undefined);
}

/** `base` with `overrides` laid over it, group by group; an undefined override keeps the base value. */
export function withOverrides<T extends OptionGroup>(
  table: T,
  base: OptionDefaults<T>,
  overrides: OptionOverrides<T>,
): OptionValues<T> {
  const values: Record<string, unknown> = structuredClone(base);
  for (const [path] of entries(table)) {
    const value = getPath(overrides, path);
    if (value !== undefined) setPath(values, path, value);
  }
  return values as OptionValues<T>;
}

/** Checks every value against its spec's bounds; the error names the flag or the option's path. */
export function checkOptions<T extends OptionGroup>(table: T, values: OptionValues<T>): void {
  for (const [path, spec] of entries(table)) {
    if (!spec.required) spec.check(getPath(values, path), optionLabel(path, spec));
  }
}

/** The table's flags, in table order, for a command spec. */
export function tableFlags<T extends OptionGroup>(table: T): TableFlags<T>[] {
  const flags = [];
  for (const [, spec] of entries(table)) {
    if (spec.flag === undefined) continue;
    const shown = spec.shownDefault === undefined ? {} : { shownDefault: spec.shownDefault };
    flags.push({ name: spec.flag, type: spec.flagType, env: true, description: spec.help, ...shown });
  }
  return flags as TableFlags<T>[];
}

/** The path of every option of a table that has a flag, by flag name (for tests and docs). */
export function flagPaths(table: OptionGroup): Map<string, { path: string; spec: AnyOptionSpec }> {
  const paths = new Map<string, { path: string; spec: AnyOptionSpec }>();
  for (const [path, spec] of entries(table))
    if (spec.flag !== undefined) paths.set(spec.flag, { path, spec });
  return paths;
}

function getPath(root: unknown, path: string): unknown {
  let node = root;
  for (const name of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[name];
  }
  return node;
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split(".");
  const last = names.pop() as string;
  let node = root;
  for (const name of names) {
    const next = node[name];
    if (typeof next === "object" && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[name] = created;
      node = created;
    }
  }
  // An unset optional value is left out (the property is optional), but its group exists.
  if (value !== undefined) node[last] = value;
}
