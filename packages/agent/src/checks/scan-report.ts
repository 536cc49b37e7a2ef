import { formatPortList } from './port-list.js';
import type { HostScan, ScanResult } from './port-scanner.js';
import type { ServiceGuess } from './service-id.js';

/** Service guesses by `address:port`, from `identifyServices` on the open ports. */
export type ServiceGuesses = ReadonlyMap<string, ServiceGuess>;

/** The guessed name when one was made, else the port's well-known name. */
function nameOf(services: ServiceGuesses | undefined, address: string, port: number): { name: string; guess: ServiceGuess | undefined } {
  const guess = services?.get(`${address}:${port}`);
  return { name: guess !== undefined && guess.service !== 'unknown' ? guess.service : serviceName(port), guess };
}

// Names as nmap's nmap-services spells them, so reports read the same side by side.
const SERVICES: Readonly<Record<number, string>> = {
  20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'domain', 67: 'dhcps', 69: 'tftp',
  80: 'http', 88: 'kerberos-sec', 110: 'pop3', 111: 'rpcbind', 119: 'nntp', 123: 'ntp', 135: 'msrpc',
  137: 'netbios-ns', 139: 'netbios-ssn', 143: 'imap', 161: 'snmp', 179: 'bgp', 389: 'ldap', 443: 'https',
  445: 'microsoft-ds', 465: 'smtps', 514: 'shell', 515: 'printer', 587: 'submission', 631: 'ipp',
  636: 'ldapssl', 873: 'rsync', 993: 'imaps', 995: 'pop3s', 1080: 'socks', 1194: 'openvpn',
  1433: 'ms-sql-s', 1521: 'oracle', 1723: 'pptp', 1883: 'mqtt', 2049: 'nfs', 2375: 'docker', 2376: 'docker',
  3000: 'ppp', 3128: 'squid-http', 3268: 'globalcatLDAP', 3306: 'mysql', 3389: 'ms-wbt-server', 4369: 'epmd',
  5000: 'upnp', 5060: 'sip', 5432: 'postgresql', 5672: 'amqp', 5900: 'vnc', 5984: 'couchdb', 6379: 'redis',
  8000: 'http-alt', 8008: 'http', 8080: 'http-proxy', 8443: 'https-alt', 9000: 'cslistener', 9100: 'jetdirect',
  9418: 'git', 11211: 'memcache', 27017: 'mongod', 41121: 'tentacle',
};

/** The well-known service name of a TCP port, or `unknown` (as nmap prints it). */
export function serviceName(port: number): string {
  return SERVICES[port] ?? 'unknown';
}

/** nmap lists the ports of a state one by one only when there are few of them. */
const MAX_LISTED_PER_STATE = 25;

type Row = { port: number; state: 'open' | 'closed' | 'filtered' };

/**
 * Render a scan the way `nmap -sT` prints it, so people can read it side by side.
 *
 * @example
 * renderScanReport(result)
 * // Outpost scan report for 127.0.0.1
 * // Not shown: 65532 closed tcp ports (conn-refused)
 * // PORT      STATE SERVICE
 * // 22/tcp    open  ssh
 * // ...
 * // Outpost done: 1 IP address scanned in 1.23 seconds
 */
export function renderScanReport(result: ScanResult, services?: ServiceGuesses): string {
  const lines: string[] = [`Starting Outpost scan at ${new Date(result.startedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`];
  for (const host of result.hosts) lines.push(...renderHost(host, result.ports.length, result.aborted, services));
  if (result.aborted) lines.push(`Scan aborted after ${result.done} of ${result.total} probes.`);
  // As nmap: a name that did not resolve is listed above but was never scanned.
  const addresses = result.hosts.filter((host) => host.address !== undefined).length;
  lines.push(`Outpost done: ${addresses} IP address${addresses === 1 ? '' : 'es'} scanned in ${(result.durationMs / 1000).toFixed(2)} seconds`);
  return `${lines.join('\n')}\n`;
}

function renderHost(host: HostScan, portCount: number, aborted: boolean, services: ServiceGuesses | undefined): string[] {
  if (host.address === undefined) return [`Failed to resolve "${host.target}" (${host.resolveError ?? 'no address'}).`];
  const title = host.address === host.target ? host.address : `${host.target} (${host.address})`;
  const lines = ['', `Outpost scan report for ${title}`];
  const rows: Row[] = host.open.map((port) => ({ port, state: 'open' }));
  const hidden: string[] = [];
  for (const [state, count, listed, reason] of [
    ['closed', host.closed, host.closedPorts, 'conn-refused'],
    ['filtered', host.filtered, host.filteredPorts, 'no-response'],
  ] as const) {
    if (count === 0) continue;
    if (count <= MAX_LISTED_PER_STATE && listed.length === count) rows.push(...listed.map((port) => ({ port, state })));
    else hidden.push(`${count} ${state} tcp port${count === 1 ? '' : 's'} (${reason})`);
  }
  if (host.errors > 0) hidden.push(`${host.errors} tcp port${host.errors === 1 ? '' : 's'} with local errors`);
  if (hidden.length > 0) lines.push(`Not shown: ${hidden.join(', ')}`);
  if (rows.length === 0) {
    if (!aborted) lines.push(`All ${portCount} scanned ports on ${title} are in ignored states.`);
    return lines;
  }
  rows.sort((a, b) => a.port - b.port);
  const portWidth = Math.max(4, ...rows.map((row) => `${row.port}/tcp`.length)) + 1;
  const stateWidth = Math.max(5, ...rows.map((row) => row.state.length)) + 1;
  const names = rows.map((row) => (row.state === 'open' ? nameOf(services, host.address!, row.port) : { name: serviceName(row.port), guess: undefined }));
  // Like nmap -sV's VERSION column: what the service said, when it was asked.
  const serviceWidth = services === undefined ? 0 : Math.max(7, ...names.map((n) => n.name.length)) + 1;
  lines.push(`${'PORT'.padEnd(portWidth)}${'STATE'.padEnd(stateWidth)}${services === undefined ? 'SERVICE' : `${'SERVICE'.padEnd(serviceWidth)}EVIDENCE`}`);
  rows.forEach((row, i) => {
    const { name, guess } = names[i]!;
    const evidence = guess === undefined || guess.evidence === '' ? '' : guess.evidence.slice(0, 60);
    lines.push(`${`${row.port}/tcp`.padEnd(portWidth)}${row.state.padEnd(stateWidth)}${services === undefined ? name : `${name.padEnd(serviceWidth)}${evidence}`.trimEnd()}`);
  });
  return lines;
}

export interface ScanReportJson {
  scanner: 'outpost';
  started_at: string;
  duration_ms: number;
  aborted: boolean;
  /** The scanned ports in list form, e.g. `1-65535`. */
  ports: string;
  probes: { done: number; total: number };
  hosts: {
    target: string;
    address: string | null;
    resolve_error?: string;
    /** `service_probe` and `service_evidence` when the service was identified (`scan --service`). */
    open: { port: number; protocol: 'tcp'; state: 'open'; service: string; service_probe?: string; service_evidence?: string }[];
    closed: number;
    filtered: number;
    errors: number;
    /** The filtered ports as a list, e.g. `9000-9100` (the first maxListedPorts of them). */
    filtered_ports: string;
  }[];
}

/** The same scan as plain JSON for scripts (`outpost-agent scan --json`). */
export function scanReportJson(result: ScanResult, services?: ServiceGuesses): ScanReportJson {
  return {
    scanner: 'outpost',
    started_at: new Date(result.startedAt).toISOString(),
    duration_ms: Math.round(result.durationMs),
    aborted: result.aborted,
    ports: formatPortList(ascending(result.ports)),
    probes: { done: result.done, total: result.total },
    hosts: result.hosts.map((host) => ({
      target: host.target,
      address: host.address ?? null,
      ...(host.resolveError === undefined ? {} : { resolve_error: host.resolveError }),
      open: ascending(host.open).map((port) => {
        const { name, guess } = nameOf(services, host.address ?? '', port);
        const identified = guess === undefined ? {} : { service_probe: guess.probe, service_evidence: guess.evidence };
        return { port, protocol: 'tcp' as const, state: 'open' as const, service: name, ...identified };
      }),
      closed: host.closed,
      filtered: host.filtered,
      errors: host.errors,
      filtered_ports: formatPortList(ascending(host.filteredPorts)),
    })),
  };
}

function ascending(ports: readonly number[]): readonly number[] {
  for (let i = 1; i < ports.length; i++) if (ports[i]! <= ports[i - 1]!) return [...ports].sort((a, b) => a - b);
  return ports;
}
