import { type Logger, type LoggerOptions, pino } from 'pino';
import { maskPhone } from './domain/phone.js';

export type { Logger } from 'pino';

// Chat ids are phones on WhatsApp (`79161234567@c.us`), so they are masked too.
const PHONE_KEYS = ['phone', 'clientPhone', 'adminPhone', 'recipient', 'chatId'];
const SECRET_KEYS = [
  'token',
  'authorization',
  'partnerToken',
  'userToken',
  'botToken',
  'adminToken',
  'webhookSecret',
  'secret',
  'password',
];

function paths(keys: string[]): string[] {
  return keys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
}

/**
 * pino logger that never prints a token and prints phone numbers masked (`+7***4567`),
 * whichever module logs them, as long as they sit under one of the keys above.
 * Messages themselves must not interpolate phones: log them as fields.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'altegio-bot' },
    redact: {
      paths: [...paths(PHONE_KEYS), ...paths(SECRET_KEYS), 'req.headers.authorization', 'req.url'],
      censor: (value, path) => {
        const key = path[path.length - 1] ?? '';
        if (key === 'url' && typeof value === 'string')
          return value.replace(/\/webhooks\/altegio\/[^/?]+/, '/webhooks/altegio/***');
        if (PHONE_KEYS.includes(key) && value != null) return maskPhone(value);
        return '[redacted]';
      },
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
