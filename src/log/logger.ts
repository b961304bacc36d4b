import { destination, type Logger as PinoLogger, pino } from "pino";
import pretty from "pino-pretty";

export type Logger = PinoLogger;
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines instead of JSON; the CLI turns it on when stderr is a TTY. */
  pretty: boolean;
  /** Bound into every line (e.g. the node id) so interleaved logs of several nodes stay legible. */
  bindings: Record<string, string>;
}

/**
 * Logs go to stderr (stdout belongs to command output). Synchronous writes: a node that crashes
 * on a broken invariant must not lose the lines that explain why.
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: options.bindings };
  if (options.pretty) {
    return pino(base, pretty({ destination: 2, sync: true, colorize: true, translateTime: "HH:MM:ss.l" }));
  }
  return pino(base, destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for unit tests and library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
