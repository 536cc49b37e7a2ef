import { ConfigError, DEFAULT_PORT, PublicKey } from '@outpost/protocol';
import * as z from 'zod';
import { durationMs } from './duration.js';

/** A downstream agent a relay admits: its name and its Ed25519 key, both must match. */
export interface RelayAllowedAgent {
  name: string;
  key: PublicKey;
}

/** The `relay:` section: the agent also listens for downstream agents (docs/relay.md). */
export interface RelaySettings {
  host: string;
  port: number;
  /** Downstream agents admitted, by name and key; everyone else is refused. */
  agents: RelayAllowedAgent[];
  /** Connections not yet admitted, in total and per source address. */
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  /** From the WebSocket upgrade to a verified Hello. */
  handshakeTimeoutMs: number;
  /** Relayed batches held for the upstream at most; past it downstream batches wait unacknowledged. */
  maxBacklogBytes: number;
  /** Batches held at most that one downstream session (agent or relay) delivered, so one cannot take all of `maxBacklogBytes`. */
  maxBatchesPerDownstream: number;
}

/**
 * The zod schema of the `relay:` section, part of the agent config file's schema; made for
 * each parse of a config file (see configSchemas in config-schema.ts).
 */
export function relaySectionSchema() {
  const agentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return z
    .object({
      listen: z.string().default(`0.0.0.0:${DEFAULT_PORT}`),
      agents: z.array(z.object({ name: agentName, key: z.string() }).strict()).default([]),
      max_unauthenticated: z.number().int().min(1).max(10_000).default(256),
      max_unauthenticated_per_address: z.number().int().min(1).max(10_000).default(32),
      handshake_timeout: durationMs({ minMs: 100, maxMs: 60_000 }).default(5_000),
      max_backlog_bytes: z.number().int().min(64 * 1024).default(1024 ** 3),
      max_batches_per_downstream: z.number().int().min(64).default(10_000),
    })
    .strict();
}

export type RelaySection = z.output<ReturnType<typeof relaySectionSchema>>;

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all addresses). */
function parseListen(file: string, text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port < 0 || port > 65_535) throw new ConfigError(file, ['relay', 'listen'], `expected HOST:PORT such as 0.0.0.0:${DEFAULT_PORT}, got ${JSON.stringify(text)}`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** Resolve the validated section: keys parsed, names unique, the listen address split. */
export function resolveRelaySettings(file: string, raw: RelaySection): RelaySettings {
  const seen = new Set<string>();
  const agents = raw.agents.map((entry, i): RelayAllowedAgent => {
    if (seen.has(entry.name)) throw new ConfigError(file, ['relay', 'agents', i, 'name'], `duplicate agent "${entry.name}"`);
    seen.add(entry.name);
    try {
      return { name: entry.name, key: PublicKey.parse(entry.key, `relay agent ${entry.name}`) };
    } catch (err: unknown) {
      throw new ConfigError(file, ['relay', 'agents', i, 'key'], err instanceof Error ? err.message : String(err));
    }
  });
  return {
    ...parseListen(file, raw.listen),
    agents,
    maxUnauthenticated: raw.max_unauthenticated,
    maxUnauthenticatedPerAddress: raw.max_unauthenticated_per_address,
    handshakeTimeoutMs: raw.handshake_timeout,
    maxBacklogBytes: raw.max_backlog_bytes,
    maxBatchesPerDownstream: raw.max_batches_per_downstream,
  };
}
