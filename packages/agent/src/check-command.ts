import type { Observation } from './checks/index.js';

// `outpost-agent check TYPE TARGET`: one check, once, as a Nagios plugin (exit 0/1/2/3,
// perfdata), or as JSON. Loaded only when the command runs.

/** Options a user may pass to `check` that are not the type's own keys. */
const CHECK_COMMON = new Set(['_', '$0', 'type', 'target', 'timeout', 'json', 'help', 'version', 'warning', 'critical']);

/** The config key that the positional TARGET of `check TYPE TARGET` fills. */
const TARGET_KEY: Record<string, string> = { dns: 'name', icmp: 'host', http: 'url', exposure: 'targets' };

/** `--warning connect_ms=100 --warning loss_pct=20` → { connect_ms: '100', loss_pct: '20' }. */
function thresholdArgs(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).map(String);
  return Object.fromEntries(items.map((item) => [item.slice(0, Math.max(0, item.indexOf('='))), item.slice(item.indexOf('=') + 1)]));
}

/** Run the check the arguments describe and exit with its Nagios code. */
export async function runCheck(argv: Record<string, unknown>): Promise<never> {
  const [{ applyThresholds, CHECK_TYPES, metricThresholds }, { parseDurationMs }, { EXIT_CODES, pluginOutput }, { parse: parseYaml }] = await Promise.all([
    import('./checks/index.js'), import('./duration.js'), import('./nagios.js'), import('yaml'),
  ]);
  const typeName = String(argv['type']);
  const type = CHECK_TYPES.get(typeName);
  const unknown = (message: string): never => {
    const line = `${typeName.toUpperCase()} UNKNOWN - ${message}`;
    process.stdout.write(argv['json'] ? `${JSON.stringify({ status: 'UNKNOWN', observation: 'usage', message })}\n` : `${line}\n`);
    process.exit(EXIT_CODES.UNKNOWN);
  };
  if (!type) return unknown(`unknown check type "${typeName}", expected one of ${[...CHECK_TYPES.keys()].join(', ')}`);
  const timeoutMs = parseDurationMs(String(argv['timeout'] ?? '5s'));
  if (timeoutMs === undefined || timeoutMs <= 0) return unknown(`--timeout ${String(argv['timeout'])} is not a duration such as 2s`);

  // Every other --flag becomes the type's config key (--expect-status → expect_status);
  // values that look like YAML lists or maps are parsed as such.
  const raw: Record<string, unknown> = {};
  if (argv['target'] !== undefined) raw[TARGET_KEY[typeName] ?? 'target'] = String(argv['target']);
  for (const [key, value] of Object.entries(argv)) {
    if (CHECK_COMMON.has(key) || key.includes('-')) continue;
    const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    raw[name] = typeof value === 'string' && /^\s*[[{]/.test(value) ? parseYaml(value) : value;
  }
  const parsed = type.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return unknown(`${issue.path.join('.') || 'arguments'}: ${issue.message}`);
  }
  const thresholds = { warning: metricThresholds.safeParse(thresholdArgs(argv['warning']) ?? {}), critical: metricThresholds.safeParse(thresholdArgs(argv['critical']) ?? {}) };
  for (const [level, result] of Object.entries(thresholds)) {
    if (!result.success) return unknown(`--${level}: ${result.error.issues[0]!.message} (expected METRIC=RANGE, e.g. connect_ms=100)`);
  }
  const started = Date.now();
  const ranges = { warning: thresholds.warning.data ?? {}, critical: thresholds.critical.data ?? {} };
  const observation: Observation = applyThresholds(await type.run(parsed.data, { signal: AbortSignal.timeout(timeoutMs), timeoutMs }), ranges);
  if (argv['json']) {
    const { transcript, ...rest } = observation;
    const out = { check: typeName, target: type.describe(parsed.data), startedAt: new Date(started).toISOString(), ...rest,
      ...(transcript ? { transcript: Buffer.from(transcript).toString('utf8') } : {}) };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(`${pluginOutput(typeName, observation, ranges)}\n`);
    if (observation.transcript && observation.status !== 'OK') process.stdout.write(`${Buffer.from(observation.transcript).toString('utf8')}\n`);
  }
  process.exit(EXIT_CODES[observation.status]);
}
