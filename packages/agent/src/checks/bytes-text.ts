/**
 * Bytes as people write them in configs (`\r\n`, `\xHH`, hex) and as they read them in
 * messages and transcripts. Shared by every check that sends or shows raw bytes.
 */

export type BytesParse = { bytes: Uint8Array } | { error: string };

const SIMPLE_ESCAPES: Record<string, number> = { r: 0x0d, n: 0x0a, t: 0x09, '0': 0x00, '\\': 0x5c };

/**
 * Config text with escapes to bytes; characters other than escapes are UTF-8. Escapes:
 * `\r` `\n` `\t` `\0` `\\` and `\xHH` (exactly two hex digits, one raw byte). Any other
 * backslash is an error rather than a guess.
 *
 * @example
 * parseEscapedText('PING\\r\\n\\x00'); // { bytes: 50 49 4e 47 0d 0a 00 }
 */
export function parseEscapedText(text: string): BytesParse {
  const encoder = new TextEncoder();
  const out: number[] = [];
  let literalFrom = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] !== '\\') continue;
    out.push(...encoder.encode(text.slice(literalFrom, i)));
    const letter = text[i + 1];
    const hex = text.slice(i + 2, i + 4);
    if (letter === undefined) return { error: `a trailing backslash at offset ${i}` };
    if (letter in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[letter]!);
      i += 1;
    } else if (letter === 'x') {
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { error: `"\\x" needs two hex digits at offset ${i}, got "\\x${hex}"` };
      out.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      return { error: `unknown escape "\\${letter}" at offset ${i}; use \\r \\n \\t \\0 \\\\ or \\xHH` };
    }
    literalFrom = i + 1;
  }
  out.push(...encoder.encode(text.slice(literalFrom)));
  return { bytes: Uint8Array.from(out) };
}

/** Hex text (`"de ad be ef"`, `"deadbeef"`, `"de:ad"`, `"0xdead"`) to bytes. */
export function parseHexBytes(text: string): BytesParse {
  const digits = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) return { error: `expected pairs of hex digits such as "de ad be ef", got ${JSON.stringify(text)}` };
  return { bytes: Uint8Array.from(Buffer.from(digits, 'hex')) };
}

const SHOWN: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x5c: '\\\\', 0x22: '\\"' };

/**
 * Bytes on one line as a person reads them: printable ASCII kept, `\r \n \t \\ \"`, and
 * `\xHH` for the rest; cut with "…" past `maxChars`.
 */
export function escapeBytes(bytes: Uint8Array, maxChars = Infinity): string {
  let out = '';
  for (const byte of bytes) {
    if (out.length >= maxChars) return `${out}…`;
    out += SHOWN[byte] ?? (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`);
  }
  return out;
}
