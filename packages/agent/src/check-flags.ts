import { parse as parseYaml } from 'yaml';
import type * as z from 'zod';

// `outpost-agent check TYPE TARGET --flag value ...`: the flags become the check's config,
// typed the way the check's own schema wants each key. The command line carries only text,
// so `--expect-body 42` must stay the text "42" for a regex key and become 42 for a count:
// yargs hands over raw strings (cli.ts turns its number parsing off) and the schema decides.

/** Options of `check` itself, never a key of the check's config. */
const CHECK_OPTIONS = new Set(['_', '$0', 'type', 'target', 'timeout', 'json', 'help', 'warning', 'critical']);

/** The config key that the positional TARGET of `check TYPE TARGET` fills. */
const TARGET_KEY: Record<string, string> = { dns: 'name', icmp: 'host', http: 'url', exposure: 'targets' };

/** What a schema accepts as input, as far as a command-line value is concerned. */
type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'any';

/** The parts of a zod 4 schema definition this file reads (`schema._zod.def`). */
interface SchemaDef {
  type: string;
  shape?: Record<string, Schema>;
  innerType?: Schema;
  in?: Schema;
  options?: readonly Schema[];
  left?: Schema;
  right?: Schema;
  element?: Schema;
  values?: readonly unknown[];
  getter?: () => Schema;
}
type Schema = { _zod: { def: SchemaDef } };

/** Schemas that wrap another and accept what it accepts (plus undefined or null). */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'catch', 'readonly']);
/** Lazy schemas nest; a self-referencing one stops here and accepts anything. */
const MAX_DEPTH = 16;

function kindsOf(schema: Schema | undefined, depth = 0): Set<Kind> {
  const def = schema?._zod.def;
  if (!def || depth > MAX_DEPTH) return new Set(['any']);
  if (WRAPPERS.has(def.type)) return kindsOf(def.innerType, depth + 1);
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'template_literal':
      return new Set(['string']);
    case 'number':
      return new Set(['number']);
    case 'boolean':
      return new Set(['boolean']);
    case 'array':
    case 'tuple':
      return new Set(['array']);
    case 'object':
    case 'record':
      return new Set(['object']);
    case 'literal':
      return new Set((def.values ?? []).map((value): Kind => (typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string')));
    // A transform's input is what the schema before it accepts; a preprocess (a pipe from
    // a transform) accepts anything, which keeps the text as it is.
    case 'pipe':
      return kindsOf(def.in, depth + 1);
    case 'union':
      return new Set((def.options ?? []).flatMap((option) => [...kindsOf(option, depth + 1)]));
    case 'intersection':
      return new Set([...kindsOf(def.left, depth + 1), ...kindsOf(def.right, depth + 1)]);
    case 'lazy':
      return kindsOf(def.getter?.(), depth + 1);
    default:
      return new Set(['any']);
  }
}

/** The element schema of the (first) array the schema accepts, if it accepts one. */
function elementOf(schema: Schema | undefined, depth = 0): Schema | undefined {
  const def = schema?._zod.def;
  if (!def || depth > MAX_DEPTH) return undefined;
  if (WRAPPERS.has(def.type)) return elementOf(def.innerType, depth + 1);
  if (def.type === 'array') return def.element;
  if (def.type === 'pipe') return elementOf(def.in, depth + 1);
  if (def.type === 'lazy') return elementOf(def.getter?.(), depth + 1);
  if (def.type === 'union') return (def.options ?? []).map((option) => elementOf(option, depth + 1)).find((element) => element !== undefined);
  return undefined;
}

/** The object shape of a check schema, through `.transform()` and `.superRefine()`. */
function shapeOf(schema: Schema, depth = 0): Record<string, Schema> {
  const def = schema._zod.def;
  if (def.shape) return def.shape;
  const inner = def.type === 'pipe' ? def.in : WRAPPERS.has(def.type) ? def.innerType : undefined;
  return inner && depth < MAX_DEPTH ? shapeOf(inner, depth + 1) : {};
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i;
const BOOLEAN: Record<string, boolean> = { true: true, yes: true, on: true, 1: true, false: false, no: false, off: false, 0: false };

/**
 * One flag value as the key's schema wants it. Text stays text where the key takes text;
 * otherwise it becomes a number or a boolean when it spells one. Text starting with `[` or
 * `{` is read as YAML for keys that take lists or maps (README: "values starting with [ or
 * { are read as YAML"), one plain value for a key that takes only a list becomes a list of
 * one, and a repeated flag (yargs: an array) has each of its values typed the same way.
 * Anything else is left as given, for the schema to name what it expected.
 */
export function flagValue(value: unknown, schema: Schema | undefined): unknown {
  const kinds = kindsOf(schema);
  const takes = (kind: Kind) => kinds.has(kind) || kinds.has('any');
  if (Array.isArray(value)) return takes('array') ? value.map((item) => flagValue(item, elementOf(schema))) : value;
  if (typeof value !== 'string') return value;
  if (/^\s*[[{]/.test(value) && (takes('array') || takes('object'))) return parseYaml(value) as unknown;
  if (takes('string')) return value;
  const trimmed = value.trim();
  if (kinds.has('number') && NUMBER.test(trimmed)) return Number(trimmed);
  const truth = BOOLEAN[trimmed.toLowerCase()];
  if (kinds.has('boolean') && truth !== undefined) return truth;
  if (kinds.has('array')) return [flagValue(value, elementOf(schema))];
  return value;
}

/**
 * The config input of `check TYPE TARGET [--flag value ...]`, before the check's schema
 * validates it: TARGET fills the type's target key, every other `--flag-name` the key
 * `flag_name`, each value typed by {@link flagValue}.
 *
 * @example
 * checkConfigInput('http', { type: 'http', target: 'http://127.0.0.1:8080/', 'expect-body': '42', expectBody: '42' }, httpSchema);
 * // { url: 'http://127.0.0.1:8080/', expect_body: '42' }
 */
export function checkConfigInput(typeName: string, argv: Record<string, unknown>, schema: z.ZodType): Record<string, unknown> {
  const shape = shapeOf(schema as unknown as Schema);
  const input: Record<string, unknown> = {};
  if (argv['target'] !== undefined) input[TARGET_KEY[typeName] ?? 'target'] = String(argv['target']);
  for (const [key, value] of Object.entries(argv)) {
    // yargs gives each dashed flag twice, as `expect-body` and `expectBody`; the second is used.
    if (CHECK_OPTIONS.has(key) || key.includes('-')) continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    input[name] = flagValue(value, shape[name]);
  }
  return input;
}
