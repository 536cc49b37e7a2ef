import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, DEFAULT_PORT, ErrorCode, OutpostError, parseFingerprint, PublicKey, WS_PATH, yamlErrorText } from '@outpost/protocol';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { CHECK_TYPES, thresholdMetricProblem, type CheckType, type MetricThresholds } from './checks/index.js';
import { configSchemas, type CheckCommonSchema } from './config-schema.js';
import { resolveRelaySettings, type RelaySettings } from './relay-config.js';

/** A check as the scheduler runs it: common settings resolved, type config validated. */
export interface ResolvedCheck {
  id: string;
  type: CheckType<unknown>;
  config: unknown;
  intervalMs: number;
  timeoutMs: number;
  jitterMs: number;
  /** `warning` / `critical` ranges on the check's metrics. */
  thresholds: MetricThresholds;
  /** sha256 of the check's config entry, first 16 hex digits; travels with every result. */
  configHash: string;
}

export interface OutboxSettings {
  maxBytes: number;
  maxAgeMs: number;
}

export interface UplinkSettings {
  /** Unacknowledged batches in flight. */
  window: number;
  maxBatchResults: number;
  maxBatchBytes: number;
  heartbeatIntervalMs: number;
  /** A connection with no frame from the collector for this long is treated as dead. */
  idleTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Upload bandwidth cap for thin links; undefined for none. */
  maxBytesPerSec: number | undefined;
  /** Connected to a fallback collector this long: try the first one again. */
  failbackAfterMs: number;
}

export interface AgentConfig {
  file: string;
  /** sha256 of the config file's bytes, reported in Hello. */
  hash: string;
  name: string;
  dataDir: string;
  keyFile: string;
  collector: {
    urls: string[];
    key: PublicKey;
    /**
     * The central collector's key, which signs remote configs. Differs from `key` behind a
     * relay (`key` is then the relay's); undefined: the same as `key`.
     */
    centralKey?: PublicKey | undefined;
    tlsFingerprint: string | undefined;
    token: string | undefined;
    insecure: boolean;
  };
  uplink: UplinkSettings;
  outbox: OutboxSettings;
  /** What the collector may change from the centre (only the local file sets this). */
  remoteConfig: {
    accept: boolean;
    /** Sections beyond checks and defaults a remote config may set. */
    allow: ('scheduler' | 'uplink' | 'outbox')[];
    /** Back to the previous config when no contact with the collector this long after switching. */
    rollbackAfterMs: number;
  };
  maxConcurrentChecks: number;
  checks: ResolvedCheck[];
  /** Relay mode: also accept downstream agents and forward their batches (docs/relay.md). */
  relay: RelaySettings | undefined;
}

/** What a check without `warning`/`critical` gets: one shared, frozen object instead of one each. */
const NO_THRESHOLDS: MetricThresholds = Object.freeze({});

function firstIssue(file: string, prefix: readonly PropertyKey[], error: z.ZodError): ConfigError {
  const issue = error.issues[0]!;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) message = `expected ${issue.expected}`;
  return new ConfigError(file, [...prefix, ...issue.path], message);
}

function normaliseUrl(file: string, path: readonly PropertyKey[], text: string, insecure: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(file, path, `expected a URL such as wss://collector.example:${DEFAULT_PORT}, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new ConfigError(file, path, `expected a wss:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol === 'ws:' && !insecure) {
    throw new ConfigError(file, path, `plain ws:// sends results unencrypted; use wss:// or set collector.insecure: true`);
  }
  if (url.port === '') url.port = String(DEFAULT_PORT);
  if (url.pathname === '/' || url.pathname === '') url.pathname = WS_PATH;
  return url.toString();
}

/** `<type>:<target>`, shortened with a hash when a long URL or host list would pass 128 characters. */
function defaultId(text: string): string {
  if (text.length <= 128) return text;
  return `${text.slice(0, 111)}~${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

function resolveCheck(
  checkCommon: CheckCommonSchema,
  file: string,
  index: number,
  raw: Record<string, unknown>,
  defaults: { interval: number; timeout: number; jitter: { fraction: number } },
): ResolvedCheck {
  const path = ['checks', index] as const;
  const common = checkCommon.safeParse(raw);
  if (!common.success) throw firstIssue(file, path, common.error);
  const type = CHECK_TYPES.get(common.data.type);
  if (type === undefined) {
    throw new ConfigError(file, [...path, 'type'], `unknown check type "${common.data.type}", expected one of ${[...CHECK_TYPES.keys()].join(', ')}`);
  }
  const own = Object.fromEntries(Object.entries(raw).filter(([key]) => !(key in checkCommon.shape)));
  const parsed = type.schema.safeParse(own);
  if (!parsed.success) throw firstIssue(file, path, parsed.error);
  const problem = thresholdMetricProblem(type, parsed.data, common.data);
  if (problem !== undefined) throw new ConfigError(file, [...path, problem.level, problem.metric], problem.message);
  const intervalMs = common.data.interval ?? defaults.interval;
  const timeoutMs = common.data.timeout ?? defaults.timeout;
  const jitterFraction = (common.data.jitter ?? defaults.jitter).fraction;
  return {
    id: common.data.id ?? defaultId(`${type.type}:${type.describe(parsed.data)}`),
    type,
    config: parsed.data,
    intervalMs,
    timeoutMs,
    jitterMs: Math.round(intervalMs * jitterFraction),
    thresholds:
      common.data.warning || common.data.critical
        ? { ...(common.data.warning ? { warning: common.data.warning } : {}), ...(common.data.critical ? { critical: common.data.critical } : {}) }
        : NO_THRESHOLDS,
    // What the check runs with, defaults included: a new interval from `defaults` is a new
    // config too (the collector learns a check's interval per config hash).
    configHash: createHash('sha256').update(JSON.stringify([raw, intervalMs, timeoutMs, jitterFraction])).digest('hex').slice(0, 16),
  };
}

/**
 * YAML text to plain data. js-yaml first: it builds the values directly instead of a
 * document tree, so 1000 checks parse in ~3 MB and ~70 ms at start-up instead of ~13 MB
 * and ~260 ms, and start-up is the agent's memory peak. Where js-yaml refuses a file (it is
 * stricter about tabs inside flow collections, unknown tags, an empty file), the yaml
 * package the rest of the code uses decides, as it did before: same result, same errors.
 * Both read the YAML 1.2 core schema (dates and yes/no stay text) and refuse duplicate keys.
 */
function readYaml(text: string, file: string): unknown {
  try {
    return loadYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch (err: unknown) {
    if (!(err instanceof YAMLException)) throw err;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, [], yamlErrorText(doc.errors[0]!));
  return doc.toJS();
}

/**
 * Parse and validate an agent config from YAML text. Throws ConfigError (code
 * OUTPOST_ERR_CONFIG) with the file, the key path and what was expected.
 */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  const schemas = configSchemas();
  const parsed = schemas.file.safeParse(readYaml(text, file) ?? {});
  if (!parsed.success) throw firstIssue(file, [], parsed.error);
  const cfg = parsed.data;
  const base = dirname(resolve(file));

  const { collector } = cfg;
  const rawUrls = collector.urls ?? (collector.url !== undefined ? [collector.url] : []);
  if (rawUrls.length === 0) throw new ConfigError(file, ['collector', 'url'], 'expected the collector URL (wss://HOST:41121)');
  const urls = rawUrls.map((url, i) => normaliseUrl(file, ['collector', collector.urls ? `urls[${i}]` : 'url'], url, collector.insecure));
  let key: PublicKey;
  try {
    key = PublicKey.parse(collector.key, 'collector key');
  } catch (err: unknown) {
    throw new ConfigError(file, ['collector', 'key'], err instanceof Error ? err.message : String(err));
  }
  let centralKey: PublicKey | undefined;
  try {
    centralKey = collector.central_key === undefined ? undefined : PublicKey.parse(collector.central_key, 'central collector key');
  } catch (err: unknown) {
    throw new ConfigError(file, ['collector', 'central_key'], err instanceof Error ? err.message : String(err));
  }
  let tlsFingerprint: string | undefined;
  if (collector.tls_fingerprint !== undefined) {
    try {
      tlsFingerprint = parseFingerprint(collector.tls_fingerprint);
    } catch (err: unknown) {
      throw new ConfigError(file, ['collector', 'tls_fingerprint'], err instanceof Error ? err.message : String(err));
    }
  } else if (urls.some((url) => url.startsWith('wss:'))) {
    throw new ConfigError(file, ['collector', 'tls_fingerprint'], 'expected the collector certificate SPKI SHA-256 (printed by outpost-collector init)');
  }
  if (cfg.uplink.backoff_max < cfg.uplink.backoff_min) {
    throw new ConfigError(file, ['uplink', 'backoff_max'], `expected at least backoff_min (${cfg.uplink.backoff_min} ms)`);
  }

  const checks = cfg.checks.map((raw, i) => resolveCheck(schemas.checkCommon, file, i, raw, cfg.defaults));
  const seen = new Map<string, number>();
  checks.forEach((check, i) => {
    const first = seen.get(check.id);
    if (first !== undefined) throw new ConfigError(file, ['checks', i, 'id'], `duplicate check id "${check.id}" (also checks[${first}])`);
    seen.set(check.id, i);
  });

  const dataDir = resolve(base, cfg.agent.data_dir ?? 'data');
  return {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    name: cfg.agent.name,
    dataDir,
    keyFile: resolve(dataDir, cfg.agent.key_file ?? 'agent.key'),
    collector: { urls, key, centralKey, tlsFingerprint, token: collector.token, insecure: collector.insecure },
    uplink: {
      window: cfg.uplink.window,
      maxBatchResults: cfg.uplink.max_batch_results,
      maxBatchBytes: cfg.uplink.max_batch_bytes,
      heartbeatIntervalMs: cfg.uplink.heartbeat_interval,
      idleTimeoutMs: cfg.uplink.idle_timeout ?? Math.max(3 * cfg.uplink.heartbeat_interval, 5_000),
      backoffMinMs: cfg.uplink.backoff_min,
      backoffMaxMs: cfg.uplink.backoff_max,
      maxBytesPerSec: cfg.uplink.max_bytes_per_sec,
      failbackAfterMs: cfg.uplink.failback_after,
    },
    outbox: { maxBytes: cfg.outbox.max_bytes, maxAgeMs: cfg.outbox.max_age },
    maxConcurrentChecks: cfg.scheduler.max_concurrent,
    remoteConfig: { accept: cfg.remote_config.accept, allow: cfg.remote_config.allow, rollbackAfterMs: cfg.remote_config.rollback_after },
    checks,
    relay: cfg.relay ? resolveRelaySettings(file, cfg.relay) : undefined,
  };
}

/** A config file's text; a missing or unreadable file is a ConfigError. */
export function readAgentConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(file, [], `cannot read the config file (${code})`);
  }
}

/** Read and validate a config file; a missing or unreadable file is a ConfigError too. */
export function loadAgentConfig(file: string): AgentConfig {
  return parseAgentConfig(readAgentConfigText(file), file);
}
