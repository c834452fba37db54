import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';

function errorOf(env: NodeJS.ProcessEnv): string {
  try {
    parseEnv(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected parseEnv to throw');
}

describe('parseEnv', () => {
  it('should start in sandbox mode with every default when nothing is set', () => {
    expect(parseEnv({})).toEqual({
      altegioApiUrl: 'https://api.alteg.io/api/v1',
      altegioPartnerToken: undefined,
      altegioUserToken: undefined,
      telegramBotToken: undefined,
      telegramApiRoot: 'https://api.telegram.org',
      whatsappEnabled: false,
      chromiumPath: undefined,
      databasePath: './data/altegio-bot.sqlite',
      settingsFile: './settings.yaml',
      settingsFileExplicit: false,
      host: '127.0.0.1',
      port: 3000,
      webhookSecret: undefined,
      adminToken: undefined,
      logLevel: 'info',
      inspect: false,
      sandboxMode: true,
    });
  });

  it('should read every variable that is set', () => {
    const env = parseEnv({
      ALTEGIO_API_URL: 'http://127.0.0.1:4010/',
      ALTEGIO_PARTNER_TOKEN: 'partner',
      ALTEGIO_USER_TOKEN: 'user',
      TELEGRAM_BOT_TOKEN: '123:abc',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:4020/tg/',
      WHATSAPP_ENABLED: '1',
      CHROMIUM_PATH: '/usr/bin/chromium',
      DATABASE_PATH: '/var/lib/bot.sqlite',
      SETTINGS_FILE: '/etc/bot/settings.json',
      HOST: '0.0.0.0',
      PORT: '8080',
      WEBHOOK_SECRET: 's3cret',
      ADMIN_TOKEN: 'admin',
      OPERATOR_TOKEN: 'operator',
      ALTEGIO_EGRESS_KEY: 'egress-a',
      LOG_LEVEL: 'debug',
      INSPECT: '1',
    });
    expect(env).toEqual({
      // Without the trailing slash, so that the client can append `/companies`.
      altegioApiUrl: 'http://127.0.0.1:4010',
      altegioPartnerToken: 'partner',
      altegioUserToken: 'user',
      telegramBotToken: '123:abc',
      telegramApiRoot: 'http://127.0.0.1:4020/tg/',
      whatsappEnabled: true,
      chromiumPath: '/usr/bin/chromium',
      databasePath: '/var/lib/bot.sqlite',
      settingsFile: '/etc/bot/settings.json',
      settingsFileExplicit: true,
      host: '0.0.0.0',
      port: 8080,
      webhookSecret: 's3cret',
      adminToken: 'admin',
      operatorToken: 'operator',
      altegioEgressKey: 'egress-a',
      logLevel: 'debug',
      inspect: true,
      sandboxMode: false,
    });
  });

  it('should leave sandbox mode exactly when the partner token is set', () => {
    expect(parseEnv({ ALTEGIO_USER_TOKEN: 'user', TELEGRAM_BOT_TOKEN: 't' }).sandboxMode).toBe(true);
    expect(parseEnv({ ALTEGIO_PARTNER_TOKEN: 'partner' }).sandboxMode).toBe(false);
  });

  it('should treat empty and blank variables as unset', () => {
    const env = parseEnv({
      ALTEGIO_PARTNER_TOKEN: '',
      ADMIN_TOKEN: '  ',
      PORT: '',
      SETTINGS_FILE: '',
      TELEGRAM_API_ROOT: '',
      WHATSAPP_ENABLED: '',
    });
    expect(env).toMatchObject({
      altegioPartnerToken: undefined,
      adminToken: undefined,
      port: 3000,
      settingsFile: './settings.yaml',
      settingsFileExplicit: false,
      telegramApiRoot: 'https://api.telegram.org',
      whatsappEnabled: false,
      sandboxMode: true,
    });
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['0', false],
    ['false', false],
  ])('should read WHATSAPP_ENABLED=%s as %s', (value, expected) => {
    expect(parseEnv({ WHATSAPP_ENABLED: value }).whatsappEnabled).toBe(expected);
  });

  it('should refuse a flag it cannot read', () => {
    expect(errorOf({ WHATSAPP_ENABLED: 'yes' })).toBe(
      'Invalid environment variables:\n  - WHATSAPP_ENABLED: must be 1, 0, true or false (got "yes")',
    );
  });

  it('should accept ports from 0 to 65535 only', () => {
    expect(parseEnv({ PORT: '0' }).port).toBe(0);
    expect(parseEnv({ PORT: '65535' }).port).toBe(65535);
    for (const port of ['65536', '-1', '80.5', 'http', '99999999']) {
      expect(errorOf({ PORT: port })).toContain(
        `PORT: must be a whole number from 0 to 65535 (got "${port}")`,
      );
    }
  });

  it('should refuse a Telegram API root whose path telegraf would drop', () => {
    expect(errorOf({ TELEGRAM_API_ROOT: 'http://127.0.0.1:4020/tg' })).toBe(
      'Invalid environment variables:\n  - TELEGRAM_API_ROOT: must be an origin or end with "/": telegraf would silently drop "/tg"; write "http://127.0.0.1:4020/tg/" (got "http://127.0.0.1:4020/tg")',
    );
    expect(parseEnv({ TELEGRAM_API_ROOT: 'http://127.0.0.1:4020' }).telegramApiRoot).toBe(
      'http://127.0.0.1:4020',
    );
  });

  it('should take a Telegram webhook URL only over https and on a port Telegram delivers to', () => {
    expect(errorOf({ TELEGRAM_WEBHOOK_URL: 'http://bot.example.com' })).toContain(
      'TELEGRAM_WEBHOOK_URL: must be an https:// URL: Telegram sends webhooks over HTTPS only',
    );
    expect(errorOf({ TELEGRAM_WEBHOOK_URL: 'bot.example.com' })).toContain('must be an https:// URL');
    expect(errorOf({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com:3000' })).toContain(
      'TELEGRAM_WEBHOOK_URL: port 3000 is not one Telegram delivers webhooks to; use 443, 80, 88, 8443',
    );
    expect(errorOf({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/?a=1' })).toContain(
      'must not have a query',
    );
    for (const url of [
      'https://bot.example.com',
      'https://bot.example.com:8443/salon',
      'https://bot.example.com:88',
    ]) {
      expect(parseEnv({ TELEGRAM_WEBHOOK_URL: url }).telegramWebhookUrl).toBe(url);
    }
  });

  it('should refuse URLs that are not http(s)', () => {
    expect(errorOf({ ALTEGIO_API_URL: 'api.alteg.io' })).toContain(
      'ALTEGIO_API_URL: must be an http:// or https:// URL',
    );
    expect(errorOf({ TELEGRAM_API_ROOT: 'ftp://example.com/' })).toContain(
      'TELEGRAM_API_ROOT: must be an http:// or https:// URL',
    );
  });

  it('should accept the pino log levels in any case and refuse others', () => {
    expect(parseEnv({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(parseEnv({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(errorOf({ LOG_LEVEL: 'verbose' })).toContain(
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    );
  });

  it('should list every bad variable in one error', () => {
    expect(errorOf({ PORT: 'x', LOG_LEVEL: 'loud', INSPECT: 'maybe' })).toBe(
      [
        'Invalid environment variables:',
        '  - PORT: must be a whole number from 0 to 65535 (got "x")',
        '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
        '  - INSPECT: must be 1, 0, true or false (got "maybe")',
      ].join('\n'),
    );
  });
});
