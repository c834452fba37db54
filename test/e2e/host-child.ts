/**
 * A tenant host (`altegio-bot start` with OPERATOR_TOKEN) as a child process for fault tests, with
 * the test's pacing: the registry read every 300 ms and no per-chat wait between Telegram
 * messages. Prints `host ready <url>` once it serves, so the parent knows where to route.
 */
import { createLogger } from '../../src/log.js';
import { createTenantHost } from '../../src/tenants/host.js';

const host = createTenantHost({
  env: process.env,
  pollMs: 300,
  logger: createLogger({ level: process.env.LOG_LEVEL ?? 'warn' }),
  engineOptions: () => ({
    channelLimits: { telegram: { perChatIntervalMs: 0 }, whatsapp: { perChatIntervalMs: 0 } },
  }),
});
const { url } = await host.start();
process.stdout.write(`host ready ${url}\n`);
process.on('SIGTERM', () => {
  void host.stop().then(() => process.exit(0));
});
