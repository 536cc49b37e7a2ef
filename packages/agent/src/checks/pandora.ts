/**
 * Import of Pandora FMS `remote_tcp_proc` modules: the `tcp_send` / `tcp_rcv` strings become
 * `tcp` conversation steps with the same meaning, following `pandora_query_tcp` in
 * Pandora's `NetworkServer.pm`:
 *
 * - Both fields have HTML entities decoded, then are split on `|` into ordered pairs
 *   (Perl `split`: trailing empty elements are dropped, leading ones kept).
 * - For each pair: a non-empty send element is sent with `^M` replaced by `\r\n`; an empty
 *   one means "just read". Then the receive element is a case-insensitive regex matched
 *   against what arrived in that round.
 * - A missing or empty receive element ends the check as a success right there (Pandora
 *   does not read for it); the conversation continues only while send elements remain, so
 *   extra receive elements are ignored. Both fields empty means "the port is open".
 *
 * Where Outpost behaves differently (also in docs/pandora-import.md):
 * - Pandora reads each round in a loop of one-second polls for up to `tcp_timeout` seconds
 *   and only then matches (the loop has no early exit at EOF in the code we read), so every
 *   round costs seconds. We match as soon as data arrives, so a round takes as long as the
 *   server needs, and the check's `timeout` bounds the whole conversation.
 * - No TLS in Pandora; here `tls: true` or a `starttls` step can be added.
 * - No per-step timeout in Pandora; steps may carry one here.
 * - Pandora decodes every HTML entity (`HTML::Entities`); we decode the named ones the
 *   console produces (`&amp; &lt; &gt; &quot; &apos; &nbsp;`) and numeric ones.
 * - Pandora retries nothing for proc modules (the result ends the retry loop); neither do we.
 * - `tcp_rcv` is a Perl regex here run as a JavaScript one. `\A`, `\z` and `\Z` are
 *   translated; other Perl-only constructs (`\Q`, `\K`, `\h`, `(?i)`, possessive `++`) are
 *   refused at load instead of silently matching something else.
 * - Pandora reports 0/1; we report why (refused, timeout, mismatch, closed_early) with a
 *   transcript.
 *
 * @example
 * pandoraToSteps({ tcp_send: '|none^M', tcp_rcv: 'SSH-2.0|Protocol mismatch' });
 * // [{ expect: 'SSH-2.0', flags: 'i' }, { send: 'none\\r\\n' }, { expect: 'Protocol mismatch', flags: 'i' }]
 */

/** The two Pandora module fields, as stored in `tagente_modulo`. */
export interface PandoraTcpFields {
  tcp_send: string;
  tcp_rcv: string;
}

/** A step in config form (before validation), as `steps:` would be written in YAML. */
export type PandoraStep = { send: string } | { expect: string; flags: 'i' };

/** A Pandora field that cannot mean the same thing here; thrown as bad config. */
export class PandoraImportError extends Error {
  readonly code = 'OUTPOST_ERR_CONFIG';
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decode the HTML entities the Pandora console stores in these fields. */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const codePoint = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
    }
    return NAMED_ENTITIES[name] ?? whole;
  });
}

/** Perl's `split(/\|/, text)`: trailing empty fields dropped, so `''` gives no fields. */
function perlSplit(text: string): string[] {
  const fields = text.split('|');
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** Pandora send text is literal except `^M`; write it in our escape syntax. */
function toSendText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\$\{/g, '\\x24{').replace(/\^M/g, '\\r\\n');
}

const PERL_ANCHORS: Record<string, string> = { A: '^', z: '$', Z: '(?=\\n?$)' };
// Escapes JavaScript would read as a plain letter (or as something else) while Perl does not.
const PERL_ONLY = new Set(['Q', 'E', 'K', 'G', 'h', 'H', 'R', 'X', 'C', 'N', 'v', 'V', 'l', 'L', 'u', 'U']);

/** Perl regex to JavaScript: translate the anchors, refuse what would change meaning. */
export function perlRegexToJs(pattern: string, element: number): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = pattern[i + 1] ?? '';
    i += 1;
    if (PERL_ANCHORS[next] !== undefined) out += PERL_ANCHORS[next];
    else if (PERL_ONLY.has(next)) {
      throw new PandoraImportError(`tcp_rcv element ${element}: "\\${next}" is Perl-only regex syntax with no JavaScript equivalent, in ${JSON.stringify(pattern)}`);
    } else out += `\\${next}`;
  }
  return out;
}

/**
 * Translate Pandora `tcp_send` / `tcp_rcv` into conversation steps (config form). Throws
 * {@link PandoraImportError} for a regex that cannot keep its meaning; the `tcp` schema then
 * validates the steps like any others.
 */
export function pandoraToSteps(fields: PandoraTcpFields): PandoraStep[] {
  const sends = perlSplit(decodeHtmlEntities(fields.tcp_send));
  const receives = perlSplit(decodeHtmlEntities(fields.tcp_rcv));
  const steps: PandoraStep[] = [];
  for (let index = 0; ; index++) {
    const send = sends[index];
    const receive = receives[index];
    if (send !== undefined && send !== '') steps.push({ send: toSendText(send) });
    if (receive === undefined || receive === '') break;
    steps.push({ expect: perlRegexToJs(receive, index + 1), flags: 'i' });
    if (index + 1 >= sends.length) break;
  }
  return steps;
}
