/** Check and agent status as notifications name it (the wire's enum, spelled out). */
export type StatusName = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** What an alert event is about. `reminder` and `test` are made by the notify module itself. */
export type AlertKind =
  | 'check' | 'agent_silent' | 'agent_back' | 'summary' | 'flapping_start' | 'flapping_stop' | 'segmentation_drift' | 'unexpected_service' | 'reminder' | 'test';

/** One event raised by the state engine, as rules see it and receivers get it. */
export interface AlertEvent {
  /** Event id in the collector store (0 when synthetic, e.g. test). */
  id: number;
  kind: AlertKind;
  agent: string;
  /** null for agent-level kinds. */
  check: string | null;
  /** Unix ms when it happened (check time for check events). */
  at: number;
  from: StatusName | null;
  /** For agent_silent: 'UNKNOWN'; agent_back / summary: null. */
  to: StatusName | null;
  /** How long the previous state lasted. */
  previousDurationMs: number | null;
  /** True when this happened inside a silent window and arrived later. */
  backfilled: boolean;
  /** One line for a person, e.g. "lab-1/web: OK -> CRITICAL (connection refused) after 2 h 13 min OK". */
  message: string;
  /** The agent's labels from the collector config (e.g. segment: ot). */
  labels: Record<string, string>;
}

/** A problem that is still open, for reminders. */
export interface ProblemSnapshot {
  agent: string;
  check: string | null;
  status: StatusName;
  /** Unix ms since when the problem lasts. */
  since: number;
  labels: Record<string, string>;
  message: string;
}

/** What is queued for one (rule, notifier) pair: the event and where it goes. */
export interface QueuedPayload extends AlertEvent {
  rule: string;
  notifier: string;
}

/** The JSON body a receiver gets: the queued payload plus when this attempt was made. */
export interface NotificationPayload extends QueuedPayload {
  /** Unix ms of this delivery attempt. */
  sentAt: number;
}

/** Result of one delivery attempt. Network and process failures are data, never thrown. */
export interface DeliveryOutcome {
  ok: boolean;
  /** HTTP status (webhook) or exit code (command), when there was one. */
  status?: number;
  error?: string;
}

/** The counters sink the service reports into (the collector's Counters fits). */
export interface NotifyCounters {
  add(name: string, by?: number): void;
}
