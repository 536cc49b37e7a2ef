import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';

interface StatusView {
  counters: Record<string, number>;
}

interface AgentsView {
  agents: { name: string; key: string; connected: boolean; resultsStored: number }[];
}

let deployment: TestDeployment | undefined;
afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

const checks = (d: TestDeployment) => [{ id: 'p', type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '200ms', jitter: '0%' }];

async function agentView(d: TestDeployment, name: string) {
  return (await d.api<AgentsView>('/api/v1/agents')).agents.find((a) => a.name === name);
}

async function status(d: TestDeployment): Promise<Record<string, number>> {
  return (await d.api<StatusView>('/api/v1/status')).counters;
}

/** `config set` with one check named `id`, signed with whatever key the data directory holds now. */
async function setConfig(d: TestDeployment, agent: string, id: string): Promise<void> {
  const file = join(d.root, `${id}.yaml`);
  writeFileSync(file, `checks:\n  - { id: ${id}, type: tcp, target: "127.0.0.1:${d.port}", interval: 200ms, jitter: 0% }\n`);
  expect((await runCli('collector', ['config', 'set', agent, file, '--data-dir', d.collectorDir])).code).toBe(0);
}

async function moreResults(d: TestDeployment, name: string, than: number) {
  await eventually(`more than ${than} results from ${name}`, () => (d.collectorResultIds(name).length > than ? true : undefined));
}

/** A collector and agent `name` (checks on the collector's own ports), once its first results are stored. */
async function reportingAgent(name: string) {
  const d = (deployment = await TestDeployment.create());
  await d.startCollector();
  await d.initAgent(name, { checks: checks(d) });
  const agent = d.startAgent(name);
  await moreResults(d, name, 0);
  return { d, agent };
}

describe('key rotation', () => {
  it('moves a live agent to a new key signed by its old one, without losing results', async () => {
    const { d, agent } = await reportingAgent('rot-a');
    const before = (await agentView(d, 'rot-a'))!.key;

    const rotate = await runCli('agent', ['rotate-key', '--config', d.configPath('rot-a'), '--json']);
    expect(rotate.code).toBe(0);
    const { nextKey } = JSON.parse(rotate.stdout) as { nextKey: string };
    await agent.waitForLine((line) => line.includes('agent key rotated'));
    await eventually('the collector to know the new key', async () => ((await agentView(d, 'rot-a'))?.key === nextKey ? true : undefined));
    expect(nextKey).not.toBe(before);
    expect(existsSync(join(d.root, 'rot-a', 'data', 'agent.key.old'))).toBe(true);
    expect(existsSync(join(d.root, 'rot-a', 'data', 'agent.key.next'))).toBe(false);

    // Results keep flowing under the new key, also after a restart, and none are missing.
    const count = d.collectorResultIds('rot-a').length;
    await moreResults(d, 'rot-a', count + 3);
    const made = await d.drain('rot-a');
    expect(d.collectorResultIds('rot-a')).toEqual(Array.from({ length: made }, (_, i) => i + 1));
    expect((await agentView(d, 'rot-a'))!.key).toBe(nextKey);
  });

  it('lets agents follow a collector key rotation endorsed by the key they pinned', async () => {
    const { d, agent } = await reportingAgent('rot-c');

    await d.stopCollector();
    const rotate = await runCli('collector', ['rotate-key', '--data-dir', d.collectorDir, '--overlap', '1h', '--json']);
    expect(rotate.code).toBe(0);
    const { newKey, oldKey } = JSON.parse(rotate.stdout) as { newKey: string; oldKey: string };
    expect(oldKey).toBe(d.collectorKey);
    await d.startCollector();
    await agent.waitForLine((line) => line.includes('collector key rotated'));
    const count = d.collectorResultIds('rot-c').length;
    await moreResults(d, 'rot-c', count);

    // Once trusted, the new key no longer needs the endorsement.
    await d.stopCollector();
    rmSync(join(d.collectorDir, 'collector.key.endorsement'));
    await d.startCollector();
    await agent.stop();
    const again = d.startAgent('rot-c');
    const afterRestart = d.collectorResultIds('rot-c').length;
    await moreResults(d, 'rot-c', afterRestart);
    expect(again.lines.some((line) => line.includes('OUTPOST_ERR_COLLECTOR_KEY'))).toBe(false);
    expect(newKey).not.toBe(oldKey);
  });

  it('holds a config set between rotate-key and the restart instead of pushing what the agent must refuse, and delivers it after', async () => {
    const { d, agent } = await reportingAgent('rot-p');
    expect((await runCli('collector', ['rotate-key', '--data-dir', d.collectorDir, '--overlap', '1h'])).code).toBe(0);
    // Signed with the new key on disk, which the running collector does not hold.
    await setConfig(d, 'rot-p', 'pushed');
    await eventually('the push held', async () => ((await status(d))['sessions.config_held'] === 1 ? true : undefined));
    const count = d.collectorResultIds('rot-p').length;
    await moreResults(d, 'rot-p', count + 3);
    // No push the agent had to refuse, so no reconnect loop.
    expect(agent.lines.filter((line) => line.includes('OUTPOST_ERR_BAD_SIGNATURE'))).toEqual([]);
    expect((await status(d))['sessions.config_pushed'] ?? 0).toBe(0);
    // Restarted with the new key: the agent follows the endorsed key and takes the version.
    await d.stopCollector();
    await d.startCollector();
    await eventually('the agent runs v1', async () => ((await d.api<{ running: number }>('/api/v1/agents/rot-p/config')).running === 1 ? true : undefined), 30_000);
  });

  it('signs anew a version stored before a rotation and served after it', async () => {
    const { d, agent } = await reportingAgent('rot-s');
    await agent.stop();
    // Stored with the old key while the agent is away, then the collector's key rotates.
    await setConfig(d, 'rot-s', 'pushed');
    await d.stopCollector();
    expect((await runCli('collector', ['rotate-key', '--data-dir', d.collectorDir, '--overlap', '1h'])).code).toBe(0);
    await d.startCollector();
    const again = d.startAgent('rot-s');
    await eventually('the agent runs v1', async () => ((await d.api<{ running: number }>('/api/v1/agents/rot-s/config')).running === 1 ? true : undefined), 30_000);
    expect(await status(d)).toMatchObject({ 'sessions.config_resigned': 1 });
    expect(again.lines.filter((line) => line.includes('OUTPOST_ERR_BAD_SIGNATURE'))).toEqual([]);
  });
});
