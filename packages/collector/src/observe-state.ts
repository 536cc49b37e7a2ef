import type { Counters } from './counters.js';
import type { Logger } from './logger.js';

/**
 * Run state-engine work for an agent whose data is already stored and acked: its failure is
 * logged and counted (`state.errors`), never turned into the agent's error or its session's.
 *
 * @example
 * await observeState(ctx, agent.name, () => engine.afterIngest(agent, outcomes));
 */
export async function observeState(ctx: { counters: Counters; logger: Logger }, agent: string | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err: unknown) {
    ctx.counters.add('state.errors');
    ctx.logger.error({ agent, err: err instanceof Error ? err.stack : String(err) }, 'state engine failed');
  }
}
