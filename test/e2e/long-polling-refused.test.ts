/**
 * Telegram long polling on Postgres: one engine process polls as before, and a second process on
 * the same database is refused at start with a message saying to use webhooks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { createWorld, ONE_BRANCH, type World } from './harness.js';

const settings = { ...ONE_BRANCH, variables: { language: 'en' } };

describe('Telegram long polling with several engines on one Postgres database', () => {
  let world: World | undefined;
  const others: Engine[] = [];
  afterEach(async () => {
    for (const engine of others.splice(0)) await engine.stop();
    await world?.close();
    world = undefined;
  });

  const another = (env: NodeJS.ProcessEnv): Engine => {
    const engine = createEngine({ env, logger: createLogger({ level: 'silent' }) });
    others.push(engine);
    return engine;
  };

  it('one engine long-polls and answers; a second one, polling or not, is refused and told why', async () => {
    world = await createWorld(settings, { dialect: 'postgres' });
    await world.startEngine();
    // The long-polling engine works: a client's /start is answered.
    world.telegram.userSends(5001, '/start');
    await world.telegram.waitFor(
      (call) => call.method === 'sendMessage' && String(call.params.chat_id) === '5001',
      15_000,
    );

    await expect(another(world.env).start()).rejects.toThrow(/long polling.*set TELEGRAM_WEBHOOK_URL/s);
    const webhook = { ...world.env, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com' };
    await expect(another(webhook).start()).rejects.toThrow(/takes Telegram updates by long polling/);

    // Stopped cleanly, it leaves the database to processes in webhook mode, as many as wanted.
    await world.engine?.stop();
    await another(webhook).start();
    await another(webhook).start();
    await expect(another(world.env).start()).rejects.toThrow(/Set TELEGRAM_WEBHOOK_URL on every process/);
  });
});
