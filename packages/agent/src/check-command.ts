import type { MetricThresholds, Observation } from './checks/index.js';

// `outpost-agent check TYPE TARGET`: one check, once, as a Nagios plugin (exit 0/1/2/3,
// perfdata), or as JSON. Loaded only when the command runs.

/**
 * `--warning connect_ms=100 --warning loss_pct=20` → { connect_ms: '100', loss_pct: '20' };
 * a usage problem as text when a value is missing or has no `=`.
 */
function thresholdArgs(level: string, value: unknown): Record<string, string> | string {
  if (value === undefined) return {};
  const items = (Array.isArray(value) ? value : [value]).map(String);
  // yargs gives `--warning` with nothing after it (or `--warning=`) as an empty list.
  const bad = items.length === 0 ? '' : items.find((item) => item.indexOf('=') < 1);
  if (bad !== undefined) return `--${level}: expected METRIC=RANGE, e.g. connect_ms=100, got ${bad === '' ? 'nothing' : JSON.stringify(bad)}`;
  return Object.fromEntries(items.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
}

/** Run the check the arguments describe and exit with its Nagios code. */
export async function runCheck(argv: Record<string, unknown>): Promise<never> {
  const [{ applyThresholds, CHECK_TYPES, metricThresholds, thresholdMetricProblem }, { parseDurationMs }, { EXIT_CODES, pluginOutput, unknownOutput }, { checkConfigInput }] = await Promise.all([
    import('./checks/index.js'), import('./duration.js'), import('./nagios.js'), import('./check-flags.js'),
  ]);
  const typeName = String(argv['type']);
  const type = CHECK_TYPES.get(typeName);
  const unknown = (message: string): never => {
    process.stdout.write(`${unknownOutput(typeName, message, Boolean(argv['json']))}\n`);
    process.exit(EXIT_CODES.UNKNOWN);
  };
  if (!type) return unknown(`unknown check type "${typeName}", expected one of ${[...CHECK_TYPES.keys()].join(', ')}`);
  const timeoutMs = parseDurationMs(String(argv['timeout'] ?? '5s'));
  if (timeoutMs === undefined || timeoutMs <= 0) return unknown(`--timeout ${String(argv['timeout'])} is not a duration such as 2s`);

  // Every other --flag becomes the type's config key (--expect-status → expect_status).
  const parsed = type.schema.safeParse(checkConfigInput(typeName, argv, type.schema), { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // zod's "expected boolean, received string" hides what was typed and what would do.
    const said = issue.code === 'invalid_type' && typeof issue.input === 'string'
      ? `expected ${issue.expected === 'boolean' ? 'true or false (or yes/no, 1/0)' : issue.expected}, got ${JSON.stringify(issue.input)}`
      : issue.message;
    return unknown(`${issue.path.join('.') || 'arguments'}: ${said}`);
  }
  const ranges: Required<MetricThresholds> = { warning: {}, critical: {} };
  for (const level of ['warning', 'critical'] as const) {
    const args = thresholdArgs(level, argv[level]);
    if (typeof args === 'string') return unknown(args);
    const result = metricThresholds.safeParse(args);
    if (!result.success) return unknown(`--${level} ${String(result.error.issues[0]!.path[0])}: ${result.error.issues[0]!.message}`);
    ranges[level] = result.data;
  }
  const problem = thresholdMetricProblem(type, parsed.data, ranges);
  if (problem !== undefined) return unknown(`--${problem.level}: ${problem.message}`);
  const started = Date.now();
  const observation: Observation = applyThresholds(await type.run(parsed.data, { signal: AbortSignal.timeout(timeoutMs), timeoutMs }), ranges);
  if (argv['json']) {
    const { transcript, ...rest } = observation;
    const out = { check: typeName, target: type.describe(parsed.data), startedAt: new Date(started).toISOString(), ...rest,
      ...(transcript ? { transcript: Buffer.from(transcript).toString('utf8') } : {}) };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    // Perfdata carries the check's own limits too, for graphers; a --warning/--critical on the same metric wins.
    const own = type.perfRanges?.(parsed.data) ?? {};
    const perf = { warning: { ...own.warning, ...ranges.warning }, critical: { ...own.critical, ...ranges.critical } };
    process.stdout.write(`${pluginOutput(typeName, observation, perf)}\n`);
    if (observation.transcript && observation.status !== 'OK') process.stdout.write(`${Buffer.from(observation.transcript).toString('utf8')}\n`);
  }
  process.exit(EXIT_CODES[observation.status]);
}
