import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";

export type FlagType = "string" | "integer" | "boolean";

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly description: string;
  /** Shown in help; also the value used when neither the flag nor its env var is given. */
  readonly default?: string;
  /** Shown in help as the default when there is no `default` (the value is derived elsewhere). */
  readonly shownDefault?: string;
  readonly short?: string;
  /** Read `RINGKV_<NAME>` from the environment when the flag is absent. */
  readonly env?: boolean;
}

/**
 * A command's flags and arguments. Declare a spec `as const satisfies CommandSpec`: the flags'
 * names are then part of its type, and `ParsedFlags` accepts only those names.
 */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: readonly FlagSpec[];
  /** Positional arguments allowed: [min, max]. */
  readonly positionals: readonly [number, number];
}

export const HELP_FLAG = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "show this help",
} as const satisfies FlagSpec;

type SpecFlag<S extends CommandSpec> = S["flags"][number] | typeof HELP_FLAG;

/** The flag names of a command: a misspelt one is a type error. */
export type FlagName<S extends CommandSpec> = SpecFlag<S>["name"];

type TypeValue<T extends FlagType> = T extends "boolean" ? boolean : T extends "integer" ? number : string;

/** A flag's value: booleans are set or not; others are undefined when absent and without a default. */
export type FlagValue<F extends FlagSpec> = F extends { readonly type: "boolean" }
  ? boolean
  : F extends { readonly default: string }
    ? TypeValue<F["type"]>
    : TypeValue<F["type"]> | undefined;

type FlagOf<S extends CommandSpec, N> = Extract<SpecFlag<S>, { readonly name: N }>;

/** A command's parsed flags, looked up only by the names of its spec. */
export class ParsedFlags<S extends CommandSpec> {
  constructor(
    private readonly spec: S,
    private readonly values: ReadonlyMap<string, string | number | boolean>,
    private readonly givenNames: ReadonlySet<string>,
    readonly positionals: readonly string[],
  ) {}

  get<N extends FlagName<S>>(name: N): FlagValue<FlagOf<S, N>> {
    // The parser stored each flag's value with the type its spec declares, so this is the
    // value's type; the compiler cannot follow a value through a map keyed by name.
    return this.values.get(name) as FlagValue<FlagOf<S, N>>;
  }

  /** Whether the flag came from the command line or the environment, not from a default. */
  given(name: FlagName<S>): boolean {
    return this.givenNames.has(name);
  }

  get help(): boolean {
    return this.values.get(HELP_FLAG.name) === true;
  }

  /** The value of a required string flag; a ConfigError naming the flag when it is missing. */
  required(name: FlagName<S>): string {
    const value = this.values.get(name);
    if (typeof value !== "string" || value === "") {
      throw new ConfigError(
        `${this.spec.name}: --${name} is required (or ${envName(name)}); see ringkv ${this.spec.name} --help`,
      );
    }
    return value;
  }
}

export function envName(flag: string): string {
  return `RINGKV_${flag.replace(/-/g, "_").toUpperCase()}`;
}

/**
 * Parses argv strictly (an unknown flag or a missing value is a usage error), then fills absent
 * flags from `RINGKV_*` variables and defaults. Precedence: flag, environment, default.
 */
export function parseFlags<S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ParsedFlags<S> {
  const flags: readonly FlagSpec[] = [...spec.flags, HELP_FLAG];
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const f of flags) {
    options[f.name] =
      f.short === undefined
        ? { type: f.type === "boolean" ? "boolean" : "string" }
        : { type: f.type === "boolean" ? "boolean" : "string", short: f.short };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(`${spec.name}: ${describeParseError(error)} (see ringkv ${spec.name} --help)`);
  }
  const values = new Map<string, string | number | boolean>();
  const given = new Set<string>();
  for (const f of flags) {
    const raw = parsed.values[f.name];
    const fromEnv = f.env === true ? env[envName(f.name)] : undefined;
    if (f.type === "boolean") {
      const set = raw === true || fromEnv === "1" || fromEnv === "true";
      values.set(f.name, set);
      if (set) given.add(f.name);
      continue;
    }
    let value: string | undefined;
    if (typeof raw === "string") value = raw;
    else if (fromEnv !== undefined && fromEnv !== "") value = fromEnv;
    if (value !== undefined) given.add(f.name);
    else value = f.default;
    if (value === undefined) continue;
    value = value.trim();
    if (f.type === "integer") {
      if (!/^[0-9]+$/.test(value))
        throw new ConfigError(`${spec.name}: --${f.name} must be a non-negative integer, got "${value}"`);
      values.set(f.name, Number(value));
    } else values.set(f.name, value);
  }
  const result = new ParsedFlags(spec, values, given, parsed.positionals);
  if (!result.help) {
    const [min, max] = spec.positionals;
    if (parsed.positionals.length < min)
      throw new ConfigError(`${spec.name}: missing arguments; usage: ${spec.usage}`);
    if (parsed.positionals.length > max) {
      throw new ConfigError(
        `${spec.name}: unexpected argument "${parsed.positionals[max]}"; usage: ${spec.usage}`,
      );
    }
  }
  return result;
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // node:util messages are long and mention "strict: false"; keep the first sentence.
  return message.split(/\. |\n/)[0]?.replace(/^Unknown option/, "unknown option") ?? message;
}

export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, "", `Usage: ${spec.usage}`, "", "Options:"];
  const rows = [...spec.flags, HELP_FLAG].map((f: FlagSpec) => {
    const name = `${f.short === undefined ? "    " : `-${f.short}, `}--${f.name}${f.type === "boolean" ? "" : ` <${f.type === "integer" ? "n" : "value"}>`}`;
    const shown = f.default ?? f.shownDefault;
    const extras = [
      shown === undefined ? "" : `default ${shown}`,
      f.env === true ? `env ${envName(f.name)}` : "",
    ]
      .filter((x) => x !== "")
      .join("; ");
    return [name, extras === "" ? f.description : `${f.description} (${extras})`] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  for (const [name, text] of rows) lines.push(`  ${name.padEnd(width)}${text}`);
  return `${lines.join("\n")}\n`;
}
