/**
 * Stable error codes. Code branches on `err.code`, never on message text.
 */
export const ErrorCode = {
  BAD_FRAME: 'OUTPOST_ERR_BAD_FRAME',
  FRAME_TOO_LARGE: 'OUTPOST_ERR_FRAME_TOO_LARGE',
  UNEXPECTED_FRAME: 'OUTPOST_ERR_UNEXPECTED_FRAME',
  VERSION: 'OUTPOST_ERR_VERSION',
  BAD_SIGNATURE: 'OUTPOST_ERR_BAD_SIGNATURE',
  BAD_KEY: 'OUTPOST_ERR_BAD_KEY',
  COLLECTOR_KEY: 'OUTPOST_ERR_COLLECTOR_KEY',
  TLS_PIN: 'OUTPOST_ERR_TLS_PIN',
  REPLAY: 'OUTPOST_ERR_REPLAY',
  WRONG_AGENT: 'OUTPOST_ERR_WRONG_AGENT',
  HANDSHAKE_TIMEOUT: 'OUTPOST_ERR_HANDSHAKE_TIMEOUT',
  NOT_ENROLLED: 'OUTPOST_ERR_NOT_ENROLLED',
  PENDING_APPROVAL: 'OUTPOST_ERR_PENDING_APPROVAL',
  REVOKED: 'OUTPOST_ERR_REVOKED',
  BAD_TOKEN: 'OUTPOST_ERR_BAD_TOKEN',
  NAME_TAKEN: 'OUTPOST_ERR_NAME_TAKEN',
  LIMIT: 'OUTPOST_ERR_LIMIT',
  CONFIG: 'OUTPOST_ERR_CONFIG',
  INTERNAL: 'OUTPOST_ERR_INTERNAL',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one error class of Outpost. `code` is stable; `message` carries the context
 * (what, where, the value and the limit).
 *
 * @example
 * throw new OutpostError(ErrorCode.FRAME_TOO_LARGE, 'frame of 5.1 MiB exceeds max 4 MiB');
 */
export class OutpostError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutpostError';
    this.code = code;
  }
}

/** True when `err` is an OutpostError, optionally with the given code. */
export function isOutpostError(err: unknown, code?: ErrorCodeValue): err is OutpostError {
  return err instanceof OutpostError && (code === undefined || err.code === code);
}

/** A config key path as a person writes it: `checks[2].steps[0].expect`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/**
 * A YAML parse error as one line: `invalid YAML at line 4 column 1: Map keys must be unique`.
 * The yaml package's pretty message repeats the position and appends the source excerpt.
 */
export function yamlErrorText(err: { message: string; linePos?: readonly { line: number; col: number }[] }): string {
  // The yaml package's advice to call its own API means nothing to someone editing a file.
  const problem = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/; please use YAML\.\w+\(\)$/, '');
  const at = err.linePos?.[0];
  return `invalid YAML${at ? ` at line ${at.line} column ${at.col}` : ''}: ${problem}`;
}

/**
 * A config file error that names the file, the key and what was expected.
 *
 * @example
 * throw new ConfigError('/etc/outpost/agent.yaml', ['checks', 2, 'port'], 'expected 1..65535, got 70000');
 */
export class ConfigError extends OutpostError {
  constructor(file: string, path: readonly PropertyKey[], message: string) {
    super(ErrorCode.CONFIG, `${file}: ${formatConfigPath(path)}: ${message}`);
  }
}
