import { ConfigError } from "../../errors.js";

/**
 * Loads a client package that only one bench target needs (ioredis, etcd3): they are development
 * dependencies, so a production install may lack them; say how to get them instead of a stack trace.
 */
export async function importOptional<T>(name: string, version: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new ConfigError(
        `this bench target needs the npm package ${name}; install it with: npm install --no-save ${name}@${version}`,
      );
    }
    throw error;
  }
}
