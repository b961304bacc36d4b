import { pino } from "pino";
import type { Logger } from "../../src/log/logger.js";

/** pino's numeric levels. */
const ERROR_LEVEL = 50;
const LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40 } as const;

/** Error classes that only a bug throws: seeing one in any log line fails the seed. */
const BUG_ERRORS = new Set(["AssertionError", "TypeError", "RangeError", "ReferenceError", "SyntaxError"]);

export interface SimLoggerOptions {
  /** Virtual time, written into every line as `vt`. */
  nowMs: () => number;
  /** Lines at this level and above are written to `write`; problems are found at every level. */
  level: "trace" | "debug" | "info" | "warn";
  write: (line: string) => void;
  /** A log line that shows a bug: an error-level line, or any line carrying a programming error. */
  onProblem: (description: string) => void;
}

/**
 * The logger every simulated node gets: deterministic lines (virtual time, no pid or host), and
 * a hook that turns what only a bug logs into a failure of the seed instead of a line nobody reads.
 */
export function simLogger(options: SimLoggerOptions): Logger {
  const outputLevel = LEVEL_VALUES[options.level];
  return pino(
    {
      // Every call reaches the hook, which looks for bugs at every level but serializes only
      // lines at the output level (a trace line per gossip message would cost more than the run).
      level: "trace",
      base: null,
      timestamp: () => `,"vt":${options.nowMs()}`,
      hooks: {
        logMethod(args, method, level) {
          inspect(args, level, () => this.bindings(), options.onProblem);
          if (level >= outputLevel) method.apply(this, args);
        },
      },
    },
    { write: options.write },
  );
}

function inspect(
  args: readonly unknown[],
  level: number,
  bindings: () => Record<string, unknown>,
  onProblem: (description: string) => void,
): void {
  const [first, second] = args;
  const fields = typeof first === "object" && first !== null ? (first as Record<string, unknown>) : {};
  const message = typeof first === "string" ? first : typeof second === "string" ? second : "";
  const err = fields.err;
  const node = (): string => {
    const bound = bindings().node;
    return typeof bound === "string" ? bound : "?";
  };
  if (err instanceof Error && BUG_ERRORS.has(err.name)) {
    onProblem(`node ${node()} logged "${message}" with ${err.name}: ${err.message}\n${err.stack ?? ""}`);
    return;
  }
  if (level >= ERROR_LEVEL) {
    const reason = err instanceof Error ? `: ${err.name}: ${err.message}` : "";
    onProblem(`node ${node()} logged an error: "${message}"${reason}`);
  }
}
