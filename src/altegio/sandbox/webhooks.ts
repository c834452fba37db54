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
  /**
   * Sent as `Authorization: Bearer <token>` with every delivery (integrations-hub
   * docs/webhooks.md: "a shared configured `Authorization: Bearer` header"). Unset: no header.
   */
  bearerToken?: string | undefined;
  /** Retries after the first attempt. docs/webhooks.md: two. */
  retries?: number;
  /** Between attempts. docs/webhooks.md: 1.5 seconds. */
  retryDelayMs?: number;
  /** Per attempt. docs/webhooks.md: 10 s total per attempt. */
  timeoutMs?: number;
  /**
   * Before the first attempt. docs/webhooks.md: "queued after 5 seconds"; the sandbox delivers at
   * once unless told, so tests and a first look at the product do not wait.
   */
  queueDelayMs?: number;
}

/** docs/webhooks.md: transport failures, HTTP 429 and 5xx are retried; other 4xx are not. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Delivers change events like Altegio does: one JSON POST per change, no signature, a shared
 * bearer header. Delivery is fire-and-forget for the caller (the API answer never waits for it)
 * but sequential among events, so a receiver sees a record's `create` before its `update` —
 * upstream ordering is undocumented, and out-of-order delivery would only make the sandbox harder
 * to reason about. A failed delivery is retried as Altegio does (twice, 1.5 s apart, only after a
 * transport error, a 429 or a 5xx), then dropped for good: a receiver that was down must reconcile.
 */
export class WebhookSender {
  private url: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly queueDelayMs: number;
  private readonly bearerToken: string | undefined;
  private readonly logger: Logger;

  constructor(options: WebhookSenderOptions) {
    this.logger = options.logger;
    this.url = options.url;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 1_500;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.queueDelayMs = options.queueDelayMs ?? 0;
    this.bearerToken = options.bearerToken;
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

  private async pause(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.abort.signal.aborted;
    try {
      await delay(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }

  private async deliver(url: string, payload: WebhookPayload): Promise<void> {
    const event = { resource: payload.resource, resourceId: payload.resource_id, status: payload.status };
    if (!(await this.pause(this.queueDelayMs))) return;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.bearerToken) headers.authorization = `Bearer ${this.bearerToken}`;
    for (let attempt = 1; attempt <= this.retries + 1; attempt++) {
      if (this.abort.signal.aborted) return;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.logger.debug({ ...event, attempt }, 'sandbox webhook delivered');
          return;
        }
        this.logger.warn({ ...event, attempt, httpStatus: response.status }, 'sandbox webhook refused');
        if (!retryable(response.status)) return;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ ...event, attempt, err: error }, 'sandbox webhook delivery failed');
      }
      if (attempt <= this.retries && !(await this.pause(this.retryDelayMs))) return;
    }
    this.logger.error(event, 'sandbox webhook dropped after its retries, as Altegio drops it');
  }
}
