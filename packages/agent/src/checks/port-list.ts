import { isIP } from 'node:net';

/** A parse outcome: the value, or an error that says what was expected and what was got. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_PORT = 65_535;

/**
 * Parse an nmap-style port list into sorted, unique ports: `22,80,443,8000-8100`,
 * `1-65535`, `-` (all ports), `-1024` (1-1024) or `60000-` (60000-65535). An empty text is
 * an empty list (useful for `must_open: ""`).
 *
 * @example
 * parsePortList('443,22,8000-8002') // { ok: true, value: [22, 443, 8000, 8001, 8002] }
 * parsePortList('90-80')            // { ok: false, error: 'port range "90-80" ends before it starts' }
 */
export function parsePortList(text: string | number): Parsed<number[]> {
  const source = String(text).trim();
  if (source === '') return { ok: true, value: [] };
  // A bitmap keeps huge overlapping lists (`1-65535,1-65535`) linear and sorted for free.
  const seen = new Uint8Array(MAX_PORT + 1);
  for (const raw of source.split(',')) {
    const item = raw.trim();
    const range = /^(\d*)\s*-\s*(\d*)$/.exec(item);
    let first: number;
    let last: number;
    if (/^\d+$/.test(item)) {
      first = last = Number(item);
    } else if (range) {
      first = range[1] === '' ? 1 : Number(range[1]);
      last = range[2] === '' ? MAX_PORT : Number(range[2]);
    } else {
      return { ok: false, error: `expected a port list such as "22,80,8000-8100" or "-", got ${JSON.stringify(String(text))} (bad item ${JSON.stringify(item)})` };
    }
    for (const port of [first, last]) {
      if (port < 1 || port > MAX_PORT) return { ok: false, error: `expected ports in 1-65535, got ${port} in ${JSON.stringify(item)}` };
    }
    if (last < first) return { ok: false, error: `port range ${JSON.stringify(item)} ends before it starts` };
    seen.fill(1, first, last + 1);
  }
  const ports: number[] = [];
  for (let port = 1; port <= MAX_PORT; port++) if (seen[port] === 1) ports.push(port);
  return { ok: true, value: ports };
}

/** Compact text for sorted ports: `[22, 80, 81, 82]` → `22,80-82`. */
export function formatPortList(ports: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j]! + 1) j++;
    parts.push(j === i ? `${ports[i]}` : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface TargetListOptions {
  /** Widest IPv4 CIDR accepted (16 = at most a /16). IPv6 gets the same host count. */
  maxCidrPrefix?: number;
  /** Most addresses a list may expand to, across all entries; default: what maxCidrPrefix allows. */
  maxHosts?: number;
}

const HOST_NAME = /^(?=.*[A-Za-z_-])[A-Za-z0-9._-]{1,253}$/;

/**
 * Parse a target list: host names, IPv4 and IPv6 literals (IPv6 optionally in brackets)
 * and CIDR blocks, separated by commas or spaces. Returns the addresses and names in
 * order, without duplicates. IPv4 blocks up to /30 leave out the network and broadcast
 * addresses, which are not hosts (a connect to the broadcast address fails with EACCES).
 *
 * @example
 * parseTargetList('192.0.2.0/30, db.lan') // { ok: true, value: ['192.0.2.1', '192.0.2.2', 'db.lan'] }
 */
export function parseTargetList(text: string | readonly string[], options: TargetListOptions = {}): Parsed<string[]> {
  const { maxCidrPrefix = 16 } = options;
  const maxHosts = options.maxHosts ?? Math.max(65_536, 2 ** (32 - maxCidrPrefix));
  const items = (typeof text === 'string' ? [text] : text).flatMap((part) => part.split(/[\s,]+/)).filter((item) => item !== '');
  if (items.length === 0) return { ok: false, error: 'expected at least one target (host, address or CIDR), got none' };
  const out = new Set<string>();
  for (const item of items) {
    const expanded = expandTarget(item, maxCidrPrefix, maxHosts - out.size);
    if (!expanded.ok) return expanded;
    for (const host of expanded.value) out.add(host);
    if (out.size > maxHosts) return { ok: false, error: `targets expand to more than ${maxHosts} hosts` };
  }
  return { ok: true, value: [...out] };
}

function expandTarget(item: string, maxCidrPrefix: number, room: number): Parsed<string[]> {
  const unbracketed = /^\[(.+)\]$/.exec(item)?.[1] ?? item;
  if (isIP(unbracketed) !== 0) return { ok: true, value: [normalizeAddress(unbracketed)] };
  const cidr = /^(.+)\/(\d{1,3})$/.exec(item);
  if (cidr) return expandCidr(cidr[1]!, Number(cidr[2]), maxCidrPrefix, room);
  if (HOST_NAME.test(item) && !/^[\d.]+$/.test(item)) return { ok: true, value: [item] };
  return { ok: false, error: `expected a host name, IPv4/IPv6 address or CIDR block, got ${JSON.stringify(item)}` };
}

function expandCidr(base: string, prefix: number, maxCidrPrefix: number, room: number): Parsed<string[]> {
  const family = isIP(base);
  if (family === 0) return { ok: false, error: `expected an IP address before "/${prefix}", got ${JSON.stringify(base)}` };
  const bits = family === 4 ? 32 : 128;
  // The width limit is a host count, so IPv6 gets as many hosts as the IPv4 limit allows.
  const widest = family === 4 ? maxCidrPrefix : 128 - (32 - maxCidrPrefix);
  if (prefix > bits) return { ok: false, error: `expected a prefix length of at most ${bits} for ${base}, got /${prefix}` };
  if (prefix < widest) return { ok: false, error: `CIDR ${base}/${prefix} is wider than the allowed /${widest} (max_cidr_prefix ${maxCidrPrefix})` };
  const size = 1n << BigInt(bits - prefix);
  if (size > BigInt(room) + 2n) return { ok: false, error: `CIDR ${base}/${prefix} has ${size} addresses, more than the ${room} hosts still allowed` };
  const network = (toBigInt(base, family) >> BigInt(bits - prefix)) << BigInt(bits - prefix);
  let first = network;
  let last = network + size - 1n;
  if (family === 4 && prefix <= 30) {
    first += 1n;
    last -= 1n;
  }
  const value: string[] = [];
  for (let address = first; address <= last; address++) value.push(fromBigInt(address, family));
  return { ok: true, value };
}

function normalizeAddress(address: string): string {
  return isIP(address) === 6 ? fromBigInt(toBigInt(address, 6), 6) : address;
}

function toBigInt(address: string, family: number): bigint {
  if (family === 4) return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  let text = address.toLowerCase().replace(/%.*$/, '');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const value = Number(toBigInt(v4[1]!, 4));
    text = `${text.slice(0, v4.index)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function fromBigInt(value: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
