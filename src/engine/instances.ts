/**
 * The `instances` part (Postgres only): registers this process with the others sharing the
 * database, and refuses to start where Telegram long polling would be shared (see
 * `store/pg/instances.ts`). Started right after the store, before anything talks to Telegram.
 *
 * @module
 */
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import type { PostgresStore } from '../store/pg/index.js';
import { type InstanceRegistration, registerInstance } from '../store/pg/instances.js';
import type { Part } from './lifecycle.js';

/** Whether this process takes Telegram's updates by long polling: a token and no webhook URL. */
export const longPollsTelegram = (env: Env): boolean =>
  Boolean(env.telegramBotToken) && env.telegramWebhookUrl === undefined;

export interface InstancesPart extends Part {
  /** This process's row in the registry. Available once started. */
  readonly registration: InstanceRegistration;
}

export function createInstancesPart(env: Env, store: PostgresStore, logger: Logger): InstancesPart {
  let registration: InstanceRegistration | undefined;
  return {
    name: 'instances',
    get registration() {
      if (!registration) throw new Error('the instances part has not started');
      return registration;
    },
    async start() {
      registration = await registerInstance(store.pool, { longPolling: longPollsTelegram(env), logger });
    },
    async stop() {
      await registration?.stop();
    },
  };
}
