import { isIP } from 'node:net';
import * as z from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parse `host:port`, `[v6]:port` or `v6-address` plus a default port. Returns undefined
 * with no partial result when the text is not a target.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return undefined;
  } else if (isIPv6Literal(text)) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return undefined;
  }
  const port = portText === undefined ? defaultPort : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}

/**
 * An IPv6 address. Text with fewer than two colons is none, so `host:port`, a name or an
 * IPv4 address never reaches Node's IPv6 pattern: V8 compiles a regexp to machine code once
 * it has run, and that one takes ~135 KB (DESIGN §7: agent RSS).
 */
function isIPv6Literal(text: string): boolean {
  return text.indexOf(':') !== text.lastIndexOf(':') && isIP(text) === 6;
}

/** `host:port`, bracketing IPv6 literals. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIPv6Literal(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A zod field for `host:port` (or `host` alone when there is a default port). */
export function hostPortField(defaultPort?: number) {
  const shape = defaultPort === undefined ? '"host:port"' : `"host" or "host:port" (default port ${defaultPort})`;
  return z.string().transform((text, ctx) => {
    const parsed = parseHostPort(text, defaultPort);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${shape} with a port in 1-65535, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return parsed;
  });
}
