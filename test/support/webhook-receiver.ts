import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the collector's webhook notifier POSTs (the fields tests look at). */
export interface ReceivedNotification {
  kind: string;
  agent: string;
  check: string | null;
  from: string | null;
  to: string | null;
  backfilled: boolean;
  message: string;
  rule: string;
  notifier: string;
  labels: Record<string, string>;
}

/**
 * A real HTTP receiver on 127.0.0.1 that records every JSON body POSTed to it and answers
 * 200, as an operator's alert gateway would.
 */
export class WebhookReceiver {
  readonly received: ReceivedNotification[] = [];
  readonly #server: Server;
  port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        try {
          this.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedNotification);
          res.writeHead(200).end('ok');
        } catch {
          res.writeHead(400).end('not json');
        }
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.#server.address() as AddressInfo).port;
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /**
   * The collector config's `notify:` section sending every event of the `lab-*` agents
   * here (fast retries), as YAML lines.
   */
  notifyConfig(): string[] {
    return [
      'notify:',
      '  notifiers:',
      `    hook: { type: webhook, url: "${this.url}", backoff_min: 50ms, backoff_max: 500ms }`,
      '  rules:',
      '    - name: everything',
      '      match: { agents: ["lab-*"] }',
      '      notify: [hook]',
    ];
  }

  /** Notifications matching every given field. */
  matching(filter: Partial<ReceivedNotification>): ReceivedNotification[] {
    return this.received.filter((n) => Object.entries(filter).every(([key, value]) => n[key as keyof ReceivedNotification] === value));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
