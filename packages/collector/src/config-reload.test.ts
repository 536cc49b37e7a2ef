import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, parseCollectorConfig } from './collector-config.js';
import { describeConfigChange } from './config-reload.js';

const HOOK = '  notifiers:\n    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }\n';

describe('collector config reload', () => {
  it('names what a re-read file changes, and what waits for a restart', () => {
    const before = parseCollectorConfig(
      `agents:\n  - match: "lab-*"\n    labels: { segment: lab }\nnotify:\n${HOOK}  rules:\n    - { name: old, match: { agents: ["lab-*"] }, notify: [hook] }\n    - { name: kept, notify: [hook] }\n`,
      'a.yaml',
    );
    const after = parseCollectorConfig(
      `api: { read: token }\nstate: { flap_changes: 9 }\nretention: { results: 30d }\nagents:\n  - match: "lab-*"\n    labels: { segment: plant }\nnotify:\n${HOOK}  rules:\n    - { name: new, notify: [hook] }\n    - { name: kept, notify: [hook] }\n`,
      'b.yaml',
    );
    expect(describeConfigChange(before, after)).toEqual({
      applied: ['notify.rules: added new; removed old', 'agents: 1 label entries', `retention: results ${30 * 86_400_000} ms, events ${DEFAULT_RETENTION.eventsMs} ms`],
      restartNeeded: ['state.flap_changes', 'api.read'],
    });
    expect(describeConfigChange(after, after)).toEqual({ applied: [], restartNeeded: [] });
  });

  it('reads retention with defaults of 90 and 365 days, and rejects what is not a duration of an hour or more', () => {
    expect(parseCollectorConfig('{}', 'c.yaml').retention).toEqual({ resultsMs: 90 * 86_400_000, eventsMs: 365 * 86_400_000 });
    expect(parseCollectorConfig('retention: { results: 7d, events: 2h }', 'c.yaml').retention).toEqual({ resultsMs: 7 * 86_400_000, eventsMs: 7_200_000 });
    expect(() => parseCollectorConfig('retention: { results: 5m }', 'c.yaml')).toThrow(/c\.yaml: retention\.results: expected a duration between 1h and/);
    expect(() => parseCollectorConfig('retention: { result: 5d }', 'c.yaml')).toThrow(/retention: unknown key "result"/);
  });

  it('names the line and the problem of YAML that does not parse, on one line', () => {
    expect(() => parseCollectorConfig('state:\n  grace: 1m\n  grace: 2m\n', 'c.yaml')).toThrow(
      /^c\.yaml: \(top level\): invalid YAML at line 3 column 3: Map keys must be unique$/,
    );
  });
});
