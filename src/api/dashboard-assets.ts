import { readFile } from "node:fs/promises";
import { NotFoundError } from "../errors.js";

/** The dashboard's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

/**
 * Where the build puts the files of src/api/ui/static/: next to this module in dist (the build
 * script copies them; tsc alone does not).
 */
export const DASHBOARD_ASSETS_DIR = new URL("./ui/static/", import.meta.url);

/**
 * Reads the dashboard's static files on first use and keeps them (a few KiB). A missing file is a
 * 404 naming the fix rather than a failed start: a node serves keys without its dashboard.
 */
export class DashboardAssets {
  private readonly cache = new Map<string, Promise<DashboardAsset>>();

  constructor(private readonly dir: URL = DASHBOARD_ASSETS_DIR) {}

  static has(name: string): boolean {
    return Object.hasOwn(ASSETS, name);
  }

  get(name: string): Promise<DashboardAsset> {
    const contentType = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (contentType === undefined)
      return Promise.reject(new NotFoundError(`no dashboard file ${name.slice(0, 64)}`));
    let asset = this.cache.get(name);
    if (asset === undefined) {
      asset = readFile(new URL(name, this.dir)).then(
        (body) => ({ contentType, body }),
        (error: unknown) => {
          // Not cached: a later build that adds the file is picked up.
          this.cache.delete(name);
          const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
          throw new NotFoundError(
            `dashboard file ${name} is missing from this installation (${code}): run npm run build`,
          );
        },
      );
      this.cache.set(name, asset);
    }
    return asset;
  }
}
