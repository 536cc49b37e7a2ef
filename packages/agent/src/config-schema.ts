import * as z from 'zod';
import { metricThresholds } from './checks/index.js';
import { durationMs } from './duration.js';
import { relaySectionSchema } from './relay-config.js';

// The agent config file's zod schemas (config.ts resolves what they validate).

/**
 * The config file's zod schemas, made for each parse and dropped after it. Kept for the
 * agent's lifetime they held ~0.25 MB, for a file it reads at start, on SIGHUP and when a
 * collector pushes a config (DESIGN §7: agent RSS; bench/footprint.ts).
 *
 * @example
 * const schemas = configSchemas();
 * const parsed = schemas.file.safeParse(parseDocument(text).toJS());
 */
export function configSchemas() {
  const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

  const jitter = z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = String(value).trim();
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
    if (pct && Number(pct[1]) <= 50) return { fraction: Number(pct[1]) / 100 };
    ctx.addIssue({ code: 'custom', message: `expected a percentage of the interval up to 50%, such as "10%", got ${JSON.stringify(value)}` });
    return z.NEVER;
  });

  const checkCommon = z.object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/, 'expected 1-128 characters: letters, digits and . _ : @ / -').optional(),
    type: z.string(),
    interval: durationMs({ minMs: 100 }).optional(),
    timeout: durationMs({ minMs: 10, maxMs: 3_600_000 }).optional(),
    jitter: jitter.optional(),
    warning: metricThresholds.optional(),
    critical: metricThresholds.optional(),
  });

  const file = z
    .object({
      agent: z.object({ name, data_dir: z.string().min(1).optional(), key_file: z.string().min(1).optional() }).strict(),
      collector: z
        .object({
          url: z.string().optional(),
          urls: z.array(z.string()).min(1).optional(),
          key: z.string(),
          central_key: z.string().optional(),
          tls_fingerprint: z.string().optional(),
          token: z.string().min(1).optional(),
          insecure: z.boolean().default(false),
        })
        .strict(),
      uplink: z
        .object({
          window: z.number().int().min(1).max(64).default(8),
          max_batch_results: z.number().int().min(1).max(5000).default(1000),
          max_batch_bytes: z.number().int().min(4096).max(4 * 1024 * 1024 - 4096).default(1024 * 1024),
          heartbeat_interval: durationMs({ minMs: 200, maxMs: 3_600_000 }).default(10_000),
          idle_timeout: durationMs({ minMs: 1_000, maxMs: 3_600_000 }).optional(),
          backoff_min: durationMs({ minMs: 10 }).default(500),
          backoff_max: durationMs({ minMs: 100 }).default(30_000),
          max_bytes_per_sec: z.number().int().min(1024).optional(),
          failback_after: durationMs({ minMs: 1_000 }).default(300_000),
        })
        .strict()
        .default({ window: 8, max_batch_results: 1000, max_batch_bytes: 1024 * 1024, heartbeat_interval: 10_000, backoff_min: 500, backoff_max: 30_000, failback_after: 300_000 }),
      outbox: z
        .object({
          max_bytes: z.number().int().min(64 * 1024).default(1024 ** 3),
          max_age: durationMs({ minMs: 60_000 }).default(30 * 86_400_000),
        })
        .strict()
        .default({ max_bytes: 1024 ** 3, max_age: 30 * 86_400_000 }),
      scheduler: z.object({ max_concurrent: z.number().int().min(1).max(10_000).default(256) }).strict().default({ max_concurrent: 256 }),
      defaults: z
        .object({
          interval: durationMs({ minMs: 100 }).default(60_000),
          timeout: durationMs({ minMs: 10, maxMs: 3_600_000 }).default(5_000),
          jitter: jitter.default({ fraction: 0.1 }),
        })
        .strict()
        .default({ interval: 60_000, timeout: 5_000, jitter: { fraction: 0.1 } }),
      checks: z.array(z.record(z.string(), z.unknown())).default([]),
      relay: relaySectionSchema().optional(),
      remote_config: z
        .object({
          accept: z.boolean().default(true),
          allow: z.array(z.enum(['scheduler', 'uplink', 'outbox'])).default([]),
          rollback_after: durationMs({ minMs: 1_000, maxMs: 7 * 86_400_000 }).default(600_000),
        })
        .strict()
        .default({ accept: true, allow: [], rollback_after: 600_000 }),
    })
    .strict();

  return { checkCommon, file };
}

/** The keys every check has, whatever its type. */
export type CheckCommonSchema = ReturnType<typeof configSchemas>['checkCommon'];
