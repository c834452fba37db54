import { createLogger } from '../../log.js';
import { DEFAULT_PARTNER_TOKEN, DEFAULT_USER_TOKEN, startSandbox } from './index.js';
import { SEED_IDS } from './seed.js';

export interface RunSandboxOptions {
  host: string;
  port: number;
  /** Defaults to `SANDBOX_WEBHOOK_URL` from the environment, so a bot's webhook can be wired with no flag. */
  webhookUrl?: string;
}

/**
 * `altegio-bot sandbox`: serves the fake Altegio in the foreground until SIGINT/SIGTERM and
 * prints what a human needs to point a client at it (URL, tokens, branch ids).
 */
export async function runSandbox(options: RunSandboxOptions): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const webhookUrl = options.webhookUrl ?? process.env.SANDBOX_WEBHOOK_URL;
  const sandbox = await startSandbox({
    host: options.host,
    port: options.port,
    logger,
    ...(webhookUrl ? { webhookUrl } : {}),
  });
  process.stdout.write(
    [
      `Altegio sandbox at ${sandbox.url}`,
      `  ALTEGIO_API_URL=${sandbox.url}`,
      `  partner token "${DEFAULT_PARTNER_TOKEN}", user token "${DEFAULT_USER_TOKEN}"`,
      `  branches ${SEED_IDS.companies.centre} (Europe/Moscow), ${SEED_IDS.companies.riverside} (Asia/Almaty)`,
      `  state: GET ${sandbox.url}/__sandbox/state; webhooks: PUT ${sandbox.url}/__sandbox/webhook {"url": "..."}`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      sandbox.stop().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
