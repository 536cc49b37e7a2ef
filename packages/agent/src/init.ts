import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { encodeKey, ErrorCode, OutpostError } from '@outpost/protocol';
import { stringify } from 'yaml';
import { parseAgentConfig } from './config.js';
import { createKeyFile } from './key-file.js';

export interface InitOptions {
  configFile: string;
  name: string;
  collectorUrls: string[];
  collectorKey: string;
  tlsFingerprint?: string;
  token?: string;
  insecure?: boolean;
  dataDir?: string;
  force?: boolean;
}

const EXAMPLES = `
# Each check runs on its own interval inside this segment. Examples:
#  - id: ssh
#    type: tcp
#    target: 192.0.2.10:22
#    expect: open
#  - id: telnet-must-stay-closed
#    type: tcp
#    target: 192.0.2.10:23
#    expect: closed
#    interval: 5m
`;

/**
 * Write a new agent config (validated exactly as `run` will read it) and create the agent
 * key. Returns the agent's public key text for the operator.
 */
export function initAgent(options: InitOptions): { publicKey: string; keyFile: string; configFile: string } {
  const configFile = resolve(options.configFile);
  if (existsSync(configFile) && !options.force) {
    throw new OutpostError(ErrorCode.CONFIG, `${configFile}: exists already (use --force to overwrite the config; the key is never replaced)`);
  }
  const doc = {
    agent: { name: options.name, data_dir: options.dataDir ?? 'data' },
    collector: {
      ...(options.collectorUrls.length === 1 ? { url: options.collectorUrls[0] } : { urls: options.collectorUrls }),
      key: options.collectorKey,
      ...(options.tlsFingerprint ? { tls_fingerprint: options.tlsFingerprint } : {}),
      ...(options.token ? { token: options.token } : {}),
      ...(options.insecure ? { insecure: true } : {}),
    },
    defaults: { interval: '60s', timeout: '5s', jitter: '10%' },
    checks: [],
  };
  const text = `# Outpost agent configuration (see the README's configuration reference).\n${stringify(doc)}${EXAMPLES}`;
  const config = parseAgentConfig(text, configFile);
  mkdirSync(dirname(configFile), { recursive: true });
  // The file may hold an enrollment token: readable by the agent's user only.
  writeFileSync(configFile, text, { mode: 0o600 });
  const keyPair = existsSync(config.keyFile) ? undefined : createKeyFile(config.keyFile);
  if (!keyPair) {
    throw new OutpostError(ErrorCode.CONFIG, `${config.keyFile}: a key file exists already; this agent keeps its identity (config written)`);
  }
  return { publicKey: encodeKey(keyPair.publicKey), keyFile: config.keyFile, configFile };
}
