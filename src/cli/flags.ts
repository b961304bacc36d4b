import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";

export interface FlagSpec {
  name: string;
  type: "string" | "integer" | "boolean";
  description: string;
  /** Shown in help; also the value used when neither the flag nor its env var is given. */
  default?: string;
  short?: string;
  /** Read `RINGKV_<NAME>` from the environment when the flag is absent. */
  env?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  /** Positional arguments allowed: [min, max]. */
  positionals: [number, number];
}

export interface ParsedFlags {
  strings: Map<string, string>;
  booleans: Set<string>;
  /** Flags that came from the command line or the environment, not from a default. */
  explicit: Set<string>;
  positionals: string[];
}

export const HELP_FLAG: FlagSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "show this help",
};

export function envName(flag: string): string {
  return `RINGKV_${flag.replace(/-/g, "_").toUpperCase()}`;
}

/**
 * Parses argv strictly (an unknown flag or a missing value is a usage error), then fills absent
 * flags from `RINGKV_*` variables and defaults. Precedence: flag, environment, default.
 */
export function parseFlags(spec: CommandSpec, argv: readonly string[], env: NodeJS.ProcessEnv): ParsedFlags {
  const flags = [...spec.flags, HELP_FLAG];
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
  const result: ParsedFlags = {
    strings: new Map(),
    booleans: new Set(),
    explicit: new Set(),
    positionals: parsed.positionals,
  };
  for (const f of flags) {
    const given = parsed.values[f.name];
    if (f.type === "boolean") {
      const fromEnv = f.env === true ? env[envName(f.name)] : undefined;
      if (given === true || fromEnv === "1" || fromEnv === "true") {
        result.booleans.add(f.name);
        result.explicit.add(f.name);
      }
      continue;
    }
    let value: string | undefined;
    if (typeof given === "string") value = given;
    else if (f.env === true && env[envName(f.name)] !== undefined && env[envName(f.name)] !== "")
      value = env[envName(f.name)];
    if (value !== undefined) result.explicit.add(f.name);
    else value = f.default;
    if (value === undefined) continue;
    if (f.type === "integer" && !/^[0-9]+$/.test(value.trim())) {
      throw new ConfigError(`${spec.name}: --${f.name} must be a non-negative integer, got "${value}"`);
    }
    result.strings.set(f.name, value.trim());
  }
  if (!result.booleans.has("help")) {
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

export function integerFlag(flags: ParsedFlags, name: string): number | undefined {
  const value = flags.strings.get(name);
  return value === undefined ? undefined : Number(value);
}

export function requiredString(flags: ParsedFlags, spec: CommandSpec, name: string): string {
  const value = flags.strings.get(name);
  if (value === undefined || value === "") {
    throw new ConfigError(
      `${spec.name}: --${name} is required (or ${envName(name)}); see ringkv ${spec.name} --help`,
    );
  }
  return value;
}

export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, "", `Usage: ${spec.usage}`, "", "Options:"];
  const rows = [...spec.flags, HELP_FLAG].map((f) => {
    const name = `${f.short === undefined ? "    " : `-${f.short}, `}--${f.name}${f.type === "boolean" ? "" : ` <${f.type === "integer" ? "n" : "value"}>`}`;
    const extras = [
      f.default === undefined ? "" : `default ${f.default}`,
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
