import type { IncomingMessage, ServerResponse } from 'node:http';
import { iso } from './api-views.js';
import { HttpError, readBody, readJsonBody } from './api-request.js';
import { checkStatusChange } from './enrollment.js';
import { forgetCheck } from './state-views.js';
import type { ApiOptions } from './http-api.js';
import { MAX_REMOTE_CONFIG_BYTES, setAgentConfig } from './remote-config.js';
import type { AgentStatus } from './store.js';

// The API's routes on one agent: its remote config (read and set), approving or revoking
// it, and forgetting a check it no longer runs. The writes are logged with the caller's
// address: they change what agents may do or what the collector shows.

/**
 * GET /api/v1/agents/{name}/config: the newest version stored, the one it runs, why it refused the last.
 *
 * @example
 * const view = await agentConfigView(options, 'lab-1'); // { agent: 'lab-1', version: 3, running: 3, ... }
 */
export async function agentConfigView(o: Pick<ApiOptions, 'store'>, name: string) {
  const agent = await o.store.findAgentByName(name);
  if (!agent) throw new HttpError(404, `no agent named "${name}"`);
  const latest = await o.store.latestAgentConfig(agent.id);
  return {
    agent: name,
    version: latest?.version ?? 0,
    createdAt: iso(latest?.createdAt),
    running: agent.configVersion ?? 0,
    configHash: agent.configHash,
    error: agent.configError,
    config: latest ? Buffer.from(latest.config).toString('utf8') : null,
  };
}

/** PUT /api/v1/agents/{name}/config with the YAML as the body: the next version, signed. */
export async function putAgentConfig(o: ApiOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const match = /^\/api\/v1\/agents\/([^/]+)\/config$/.exec(url.pathname);
  if (!match) throw new HttpError(404, `no such endpoint: PUT ${url.pathname}`);
  const name = decodeURIComponent(match[1]!);
  if (!(await o.store.findAgentByName(name))) throw new HttpError(404, `no agent named "${name}"`);
  const text = (await readBody(req, MAX_REMOTE_CONFIG_BYTES)).toString('utf8');
  let version: number;
  try {
    version = await setAgentConfig(o.store, o.collectorKeyPair, name, text, 'request body');
  } catch (err: unknown) {
    throw new HttpError(400, err instanceof Error ? err.message : String(err));
  }
  o.logger.warn({ agent: name, version, remote: req.socket.remoteAddress }, 'agent config set through the API');
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ agent: name, version }));
}

/** POST /api/v1/agents/{name}/approve|revoke, optionally only for a key that starts with body.key; a revoked agent is approved only with it. */
export async function postAgentStatus(o: ApiOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const match = /^\/api\/v1\/agents\/([^/]+)\/(approve|revoke)$/.exec(url.pathname);
  if (!match) throw new HttpError(404, `no such endpoint: POST ${url.pathname}`);
  const name = decodeURIComponent(match[1]!);
  const body = await readJsonBody(req);
  const agent = await o.store.findAgentByName(name);
  if (!agent) throw new HttpError(404, `no agent named "${name}"`);
  const keyPrefix = body['key'];
  // A key that is no string matches no key: 409 like any other mismatch.
  if (keyPrefix !== undefined && typeof keyPrefix !== 'string') throw new HttpError(409, `agent "${name}": the key given is not a string, so it matches no key`);
  const status: AgentStatus = match[2] === 'approve' ? 'active' : 'revoked';
  // The same rule as `agents approve`: a revoked agent comes back only with its key given.
  const change = checkStatusChange(agent, status, keyPrefix, (prefix) => `{"key": "${prefix}"} in the body`);
  if (change.refused !== undefined) throw new HttpError(409, change.refused);
  await o.store.setAgentStatus(name, status, Date.now());
  o.logger.warn({ agent: name, status, readmitted: change.readmits, remote: req.socket.remoteAddress }, 'agent status changed through the API');
  const view = (await o.engine.agentViews()).find((a) => a.name === name);
  o.feed.publish('agent', view);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ agent: view }));
}

/** DELETE /api/v1/checks/{agent}/{check}: forget the state of a check its agent no longer runs (its history stays). */
export async function deleteCheck(o: ApiOptions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const match = /^\/api\/v1\/checks\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (!match) throw new HttpError(404, `no such endpoint: DELETE ${url.pathname}`);
  const [name, check] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
  const force = url.searchParams.get('force');
  if (force !== null && !['1', 'true', '0', 'false'].includes(force)) throw new HttpError(400, `force: expected 1 or true, got ${JSON.stringify(force)}`);
  const outcome = await forgetCheck(o.store, name, check, force === '1' || force === 'true', '?force=1');
  if (!outcome.forgotten) throw new HttpError(outcome.reason === 'no_agent' || outcome.reason === 'no_check' ? 404 : 409, outcome.message);
  const { wasStale } = outcome;
  o.logger.warn({ agent: name, check, wasStale, remote: req.socket.remoteAddress }, 'check forgotten through the API');
  // Open consoles drop it; the agent's view (its checks counted) changed too.
  o.feed.publish('check_forgotten', { agent: name, check });
  o.feed.publish('agent', (await o.engine.agentViews()).find((a) => a.name === name));
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ agent: name, check, forgotten: true, wasStale }));
}
