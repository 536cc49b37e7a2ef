import * as z from 'zod';
import { parseEscapedText, parseHexBytes } from './bytes-text.js';
import { durationMs, formatDuration } from '../duration.js';

/** A piece of a send: literal bytes, or the text an earlier `expect` captured by name. */
export type SendPart = { bytes: Buffer } | { capture: string };

interface StepBase {
  /** How the step reads in messages and transcripts, e.g. `expect /^250 /m`. */
  label: string;
  /** Per-step limit; without it the step may use whatever is left of the check's timeout. */
  timeoutMs?: number;
}

/** One validated step of a TCP conversation (the parsed form of a `steps:` entry). */
export type ConversationStep = StepBase &
  (
    | { action: 'send'; parts: SendPart[] }
    | { action: 'expect'; pattern: string; flags: string }
    | { action: 'expect_bytes'; bytes: Buffer }
    | { action: 'expect_close' }
    | { action: 'expect_silence'; silenceMs: number }
    | { action: 'starttls'; servername?: string; verify: boolean }
  );

const timeout = durationMs({ minMs: 1 }).optional();

// One strict shape per action: the action key plus the modifiers that make sense for it.
const SHAPES = {
  send: z.object({ send: z.string(), timeout }).strict(),
  send_hex: z.object({ send_hex: z.string(), timeout }).strict(),
  expect: z.object({ expect: z.string().min(1), flags: z.string().default(''), timeout }).strict(),
  expect_bytes: z.object({ expect_bytes: z.string(), timeout }).strict(),
  expect_close: z.object({ expect_close: z.literal(true), timeout }).strict(),
  expect_silence: z.object({ expect_silence: durationMs({ minMs: 1 }) }).strict(),
  starttls: z
    .object({ starttls: z.literal(true), servername: z.string().min(1).optional(), verify: z.boolean().default(false), timeout })
    .strict(),
} as const;

type Action = keyof typeof SHAPES;
const ACTIONS = Object.keys(SHAPES) as Action[];
const REGEX_FLAGS = new Set(['i', 'm', 's', 'u']);

/** Thrown inside this module only, turned into a zod issue naming the step. */
class StepError extends Error {}

/**
 * Decode escapes (see parseEscapedText) and split out `${name}` capture references. Typed
 * text is sent as UTF-8, `\xHH` as that one byte, and a capture byte for byte as it was
 * received; `\x24` writes a literal "$".
 */
export function parseSendText(text: string): SendPart[] {
  const parts: SendPart[] = [];
  const literal = (segment: string) => {
    if (segment === '') return;
    const parsed = parseEscapedText(segment);
    if ('error' in parsed) throw new StepError(parsed.error);
    parts.push({ bytes: Buffer.from(parsed.bytes) });
  };
  let from = 0;
  for (let at = text.indexOf('${'); at !== -1; at = text.indexOf('${', from)) {
    const end = text.indexOf('}', at);
    const name = end === -1 ? '' : text.slice(at + 2, end);
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new StepError(`"\${" must be followed by a capture name and "}", got "${text.slice(at, at + 20)}"`);
    literal(text.slice(from, at));
    parts.push({ capture: name });
    from = end + 1;
  }
  literal(text.slice(from));
  return parts;
}

/** `de ad be ef`, `deadbeef` or `de:ad:be:ef` to bytes; at least one byte. */
export function parseHex(text: string): Buffer {
  const parsed = parseHexBytes(text);
  if ('error' in parsed || parsed.bytes.length === 0) {
    throw new StepError('error' in parsed ? parsed.error : `expected pairs of hex digits such as "de ad be ef", got ${JSON.stringify(text)}`);
  }
  return Buffer.from(parsed.bytes);
}

/** Compile once to validate, and list the named groups the pattern can capture. */
function captureNames(pattern: string, flags: string): string[] {
  for (const flag of flags) {
    if (!REGEX_FLAGS.has(flag)) throw new StepError(`flags: expected letters from "imsu", got ${JSON.stringify(flags)}`);
  }
  try {
    // The empty alternative always matches, so `groups` lists every name (with undefined values).
    new RegExp(pattern, flags);
    const probe = new RegExp(`(?:${pattern})|`, flags).exec('');
    return Object.keys(probe?.groups ?? {});
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '') : String(err);
    throw new StepError(`invalid regex /${pattern}/${flags}: ${reason}`);
  }
}

function actionOf(raw: Record<string, unknown>): Action {
  const present = ACTIONS.filter((action) => action in raw);
  if (present.length === 1) return present[0]!;
  if (present.length === 0) {
    const keys = Object.keys(raw).map((key) => JSON.stringify(key)).join(', ') || 'nothing';
    throw new StepError(`expected one action (${ACTIONS.join(', ')}), got ${keys}`);
  }
  throw new StepError(`has ${present.join(' and ')}; a step does one thing, split it into ${present.length} steps`);
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function buildStep(action: Action, fields: Record<string, unknown>, captured: Set<string>): ConversationStep {
  const timeoutMs = fields['timeout'] as number | undefined;
  const base = timeoutMs === undefined ? {} : { timeoutMs };
  switch (action) {
    case 'send': {
      const text = fields['send'] as string;
      const parts = parseSendText(text);
      for (const part of parts) {
        if ('capture' in part && !captured.has(part.capture)) {
          const known = captured.size > 0 ? `earlier steps capture ${[...captured].join(', ')}` : 'no earlier step captures anything';
          throw new StepError(`"\${${part.capture}}" is not captured by an earlier expect (use (?<${part.capture}>...)); ${known}`);
        }
      }
      return { ...base, action, parts, label: `send ${quote(text)}` };
    }
    case 'send_hex': {
      const bytes = parseHex(fields['send_hex'] as string);
      return { ...base, action: 'send', parts: [{ bytes }], label: `send_hex ${bytes.toString('hex')}` };
    }
    case 'expect': {
      const pattern = fields['expect'] as string;
      const flags = fields['flags'] as string;
      for (const name of captureNames(pattern, flags)) captured.add(name);
      return { ...base, action, pattern, flags, label: `expect /${pattern}/${flags}` };
    }
    case 'expect_bytes': {
      const bytes = parseHex(fields['expect_bytes'] as string);
      return { ...base, action, bytes, label: `expect_bytes ${bytes.toString('hex')}` };
    }
    case 'expect_close':
      return { ...base, action, label: 'expect_close' };
    case 'expect_silence': {
      const silenceMs = fields['expect_silence'] as number;
      return { action, silenceMs, label: `expect_silence ${formatDuration(silenceMs)}` };
    }
    case 'starttls': {
      const servername = fields['servername'] as string | undefined;
      const verify = fields['verify'] as boolean;
      return { ...base, action, verify, ...(servername === undefined ? {} : { servername }), label: 'starttls' };
    }
  }
}

/**
 * The `steps:` list of a TCP conversation. Errors name the step (1-based, "step 2 of 5")
 * and say what was expected and what was got: unknown keys, two actions in one step, bad
 * regex or flags, bad hex, bad escapes, and `${name}` that no earlier step captures.
 *
 * @example
 * conversationStepsSchema.parse([{ expect: '^220 (?<host>\\S+)' }, { send: 'EHLO ${host}\\r\\n' }]);
 */
export const conversationStepsSchema = z.array(z.unknown()).transform((raw, ctx) => {
  const steps: ConversationStep[] = [];
  const captured = new Set<string>();
  raw.forEach((entry, index) => {
    const where = `step ${index + 1} of ${raw.length}`;
    try {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new StepError(`expected a mapping such as { send: "..." }, got ${JSON.stringify(entry)}`);
      }
      const record = entry as Record<string, unknown>;
      const action = actionOf(record);
      const parsed = SHAPES[action].safeParse(record);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const allowed = Object.keys(SHAPES[action].shape).join(', ');
          const text =
            issue.code === 'unrecognized_keys'
              ? `unknown key ${issue.keys.map(quote).join(', ')} for ${action}; allowed: ${allowed}`
              : `${issue.path.join('.') || action}: ${issue.message}`;
          ctx.addIssue({ code: 'custom', message: `${where} (${action}): ${text}`, path: [index, ...issue.path] as PropertyKey[] });
        }
        return;
      }
      steps.push(buildStep(action, parsed.data as Record<string, unknown>, captured));
    } catch (err: unknown) {
      if (!(err instanceof StepError)) throw err;
      ctx.addIssue({ code: 'custom', message: `${where}: ${err.message}`, path: [index] });
    }
  });
  return steps;
});

/** The metric names runConversation (tcp-steps.ts) can emit for this conversation (steps counted from 1). */
export function conversationMetrics(conversation: { tls?: unknown; steps: readonly ConversationStep[] }): string[] {
  const tls = conversation.tls !== undefined || conversation.steps.some((step) => step.action === 'starttls');
  const steps = conversation.steps.map((_, index) => `step${index + 1}_ms`);
  return ['connect_ms', ...(tls ? ['tls_handshake_ms'] : []), ...steps, 'total_ms', 'bytes_received', 'bytes_sent'];
}
