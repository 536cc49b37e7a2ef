import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { makeAgentInsecure, startInsecureCollector } from './support/insecure-deployment.js';
import { PacketCapture, readableClientBytes, readCapture } from './support/packet-capture.js';
import { eventually, tempDir } from './support/processes.js';

interface ResultsView {
  results: { check: string; resultId: number }[];
}

let deployment: TestDeployment | undefined;
let capture: PacketCapture | undefined;
let dir: { path: string; cleanup: () => void } | undefined;

afterEach(async () => {
  await capture?.stop();
  capture = undefined;
  await deployment?.cleanup();
  deployment = undefined;
  dir?.cleanup();
  dir = undefined;
});

/**
 * Run an agent whose check id is a unique marker (the id travels in every result) against a
 * collector while tshark records the collector port on lo; return the raw capture and the
 * number of results the collector stored meanwhile.
 */
async function captureAgentTraffic(mode: 'tls' | 'insecure'): Promise<{ marker: string; pcap: Buffer; file: string; port: number; stored: number }> {
  const d = (deployment = await TestDeployment.create());
  if (mode === 'insecure') await startInsecureCollector(d);
  else await d.startCollector();
  const marker = `MARKER-${randomBytes(12).toString('hex')}`;
  // The check probes the API port, so the only traffic on the captured port is the agent's uplink.
  await d.initAgent('wire-1', { checks: [{ id: marker, type: 'tcp', target: `127.0.0.1:${d.httpPort}`, expect: 'open', interval: '200ms', jitter: '0%' }] });
  if (mode === 'insecure') makeAgentInsecure(d, 'wire-1');

  dir = tempDir('capture');
  const file = join(dir.path, `${mode}.pcapng`);
  capture = await PacketCapture.start({ iface: 'lo', filter: `tcp port ${d.port}`, file });
  d.startAgent('wire-1');
  // Several batches, so the marker crossed the wire many times while tshark was recording.
  const view = await eventually(
    'results carrying the marker at the collector',
    async () => {
      const v = await d.api<ResultsView>(`/api/v1/results?agent=wire-1&check=${marker}&limit=1000`);
      return v.results.length >= 10 ? v : undefined;
    },
    45_000,
  );
  expect(await capture.stop()).toBe(0);
  capture = undefined;
  return { marker, pcap: readFileSync(file), file, port: d.port, stored: view.results.length };
}

describe('on the wire: results are unreadable under TLS, readable only when insecure is chosen', () => {
  it('with default TLS the check id never appears in the captured bytes', async () => {
    const { marker, pcap, file, port, stored } = await captureAgentTraffic('tls');
    expect(stored).toBeGreaterThanOrEqual(10);
    // The capture did record the uplink: TLS application data records, many of them.
    const appData = await readCapture(file, 'tls.app_data', ['frame.number'], [`tcp.port==${port},tls`]);
    expect(appData.length).toBeGreaterThanOrEqual(10);
    // Not in the raw capture, nor in the reassembled streams, nor in any unmasked WebSocket
    // frame (there are none to find: the stream is TLS from its first byte).
    const readable = await readableClientBytes(file, port);
    expect(readable.streams.length).toBeGreaterThan(0);
    expect(readable.streams.every((s) => s[0] === 0x16)).toBe(true); // a TLS handshake record first
    expect(readable.websocketPayloads).toEqual([]);
    for (const haystack of [pcap, ...readable.streams]) {
      expect(haystack.includes(Buffer.from(marker, 'utf8'))).toBe(false);
      // Nor a long piece of it (a marker split across segments would still leave one half whole).
      expect(haystack.includes(Buffer.from(marker.slice(0, 16), 'utf8'))).toBe(false);
    }
  });

  it('with collector.insecure and ws:// the same capture shows the check id (so the TLS test can fail)', async () => {
    const { marker, file, port, stored } = await captureAgentTraffic('insecure');
    expect(stored).toBeGreaterThanOrEqual(10);
    // Client frames are XOR-masked with a key sent in the clear, so the raw bytes may hide the
    // text; unmasked, it is there in result after result.
    const readable = await readableClientBytes(file, port);
    // Exactly what the TLS test asserts absent: a plain-text upgrade and readable frames.
    expect(readable.streams.some((s) => s.subarray(0, 4).toString('latin1') === 'GET ')).toBe(true);
    const carrying = readable.websocketPayloads.filter((p) => p.includes(Buffer.from(marker, 'utf8')));
    expect(carrying.length).toBeGreaterThanOrEqual(3);
  });
});
