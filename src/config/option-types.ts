import type { OptionSpec, RequiredSpec } from "./option-spec.js";

/**
 * Types derived from an option table: the table is the one place an option is spelled, and the
 * option types follow its shape (a nested object of groups whose leaves are option specs).
 */

/**
 * The values a table describes: each spec becomes its value, each group an object of values. An
 * option whose value may be unset (no default) is an optional property, as `advertiseListen?`.
 */
export type OptionValues<T> = T extends RequiredSpec
  ? string
  : T extends OptionSpec<infer V>
    ? V
    : Flatten<
        { -readonly [K in Exclude<keyof T, UnsetKeys<T>>]: OptionValues<T[K]> } & {
          -readonly [K in UnsetKeys<T>]?: OptionValues<T[K]>;
        }
      >;

type UnsetKeys<T> = { [K in keyof T]: undefined extends OptionValues<T[K]> ? K : never }[keyof T];

/** One object type instead of an intersection, so editors show the options plainly. */
type Flatten<T> = { [K in keyof T]: T[K] };

/** Top-level keys whose value has no default: whoever builds the options must give them. */
export type RequiredKeys<T> = {
  [K in keyof T]: T[K] extends RequiredSpec ? K : never;
}[keyof T];

/** Everything a table has a default for. */
export type OptionDefaults<T> = Omit<OptionValues<T>, RequiredKeys<T>>;

/** Overrides of some defaults: any group may be given in part, any option whole. */
export type OptionOverrides<T> = {
  [K in keyof T]?: T[K] extends RequiredSpec
    ? string
    : T[K] extends OptionSpec<infer V>
      ? V
      : OptionOverrides<T[K]>;
};

/** The `ringkv start` flags of a table, as flag specs (src/cli/flags.ts) that keep each flag's name. */
export type TableFlags<T> = T extends { readonly flag: infer F; readonly flagType: infer K }
  ? [NonNullable<F>] extends [never]
    ? never
    : {
        readonly name: NonNullable<F>;
        readonly type: K;
        readonly env: true;
        readonly description: string;
        readonly shownDefault?: string;
      }
  : { [Key in keyof T]: TableFlags<T[Key]> }[keyof T];
