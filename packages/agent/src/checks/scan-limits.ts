// The bounds a port scan accepts, shared by `outpost-agent scan`, the exposure check's
// schema and the scanner itself. Its own module so the exposure check's schema can hold to
// them without loading the scanner (its worker threads load only when a scan runs).

/** Sockets connecting at once. */
export const SCAN_CONCURRENCY = { min: 1, max: 16_384 } as const;
/** How long one probe waits for an answer, in ms. */
export const SCAN_PORT_TIMEOUT_MS = { min: 10, max: 60_000 } as const;
/** The widest CIDR a target list may hold: a /12 already expands to a million addresses. */
export const SCAN_CIDR_PREFIX = { min: 12, max: 32 } as const;
