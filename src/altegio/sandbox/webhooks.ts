import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../log.js';

/** Altegio's webhook body (the envelope documented in the old YCLIENTS blueprint). */
export interface WebhookPayload {
  company_id: number;
  resource: 'record' | 'client';
  resource_id: number;
  status: 'create' | 'update' | 'delete';
  data: Record<string, unknown>;
}

export interface WebhookSenderOptions {
  logger: Logger;
  url?: string | undefined;
  /** Attempts per event, first one included. */
  attempts?: number;
  timeoutMs?: number;
  backoffMs?: number;
}

/**
 * Delivers change events like Altegio does: one JSON POST per change, no signature. Delivery is
 * fire-and-forget for the caller (the API answer never waits for it) but sequential among
 * events, so a receiver sees a record's `create` before its `update` — upstream ordering is
 * unconfirmed, and out-of-order delivery would only make the sandbox harder to reason about.
 * Failures are logged and retried with backoff, then dropped; they never reach the API.
 */
export class WebhookSender {
  private url: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly logger: Logger;

  constructor(options: WebhookSenderOptions) {
    this.logger = options.logger;
    this.url = options.url;
    this.attempts = options.attempts ?? 4;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.backoffMs = options.backoffMs ?? 250;
  }

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  getUrl(): string | undefined {
    return this.url;
  }

  /** Queues a delivery to the URL configured now; no URL, no delivery (as with hooks disabled). */
  send(payload: WebhookPayload): void {
    const url = this.url;
    if (!url || this.abort.signal.aborted) return;
    this.queue = this.queue.then(() => this.deliver(url, payload));
  }

  /** Resolves once everything queued so far was delivered or given up (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Abandons pending deliveries and retries. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue;
  }

  private async deliver(url: string, payload: WebhookPayload): Promise<void> {
    const event = { resource: payload.resource, resourceId: payload.resource_id, status: payload.status };
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (this.abort.signal.aborted) return;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.logger.debug({ ...event, attempt }, 'sandbox webhook delivered');
          return;
        }
        this.logger.warn({ ...event, attempt, httpStatus: response.status }, 'sandbox webhook refused');
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ ...event, attempt, err: error }, 'sandbox webhook delivery failed');
      }
      if (attempt < this.attempts) {
        try {
          await delay(this.backoffMs * 2 ** (attempt - 1), undefined, { signal: this.abort.signal });
        } catch {
          return;
        }
      }
    }
    this.logger.error(event, 'sandbox webhook dropped after retries');
  }
}
