/**
 * Environment variables (listed in the README), read once at start-up. Every variable is
 * optional: without Altegio credentials the engine runs in sandbox mode.
 */
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment after validation; unset variables are `undefined`, never `''`. */
export interface Env {
  altegioApiUrl: string;
  altegioPartnerToken: string | undefined;
  altegioUserToken: string | undefined;
  telegramBotToken: string | undefined;
  telegramApiRoot: string;
  /** Set: Telegram webhook mode at `<url>/webhooks/telegram`; unset: long polling. */
  telegramWebhookUrl: string | undefined;
  whatsappEnabled: boolean;
  chromiumPath: string | undefined;
  databasePath: string;
  /** Set: the store is Postgres at this URL (several processes may share it); unset: SQLite at `databasePath`. */
  databaseUrl: string | undefined;
  settingsFile: string;
  /** `SETTINGS_FILE` was set: a missing file is then an error instead of "use the defaults". */
  settingsFileExplicit: boolean;
  host: string;
  port: number;
  webhookSecret: string | undefined;
  /** No token: the admin API is off. */
  adminToken: string | undefined;
  /**
   * Which egress IP this process calls Altegio from: on Postgres, processes with the same key share
   * one call budget (Altegio counts per IP). Unset: every process of the database shares one.
   */
  altegioEgressKey: string | undefined;
  /** Set: this process hosts many salons (`src/tenants/`) and serves the operator API with it. */
  operatorToken: string | undefined;
  logLevel: LogLevel;
  inspect: boolean;
  /** No partner token: the embedded fake Altegio serves instead of the real one. */
  sandboxMode: boolean;
}

const flag = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(['1', '0', 'true', 'false'], { error: 'must be 1, 0, true or false' }))
  .transform((value) => value === '1' || value === 'true');

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: 'must be an http:// or https:// URL',
  });

// telegraf builds request URLs with `new URL('./bot…', apiRoot)`, which silently drops a last
// path segment without a trailing slash, so such a root is refused outright.
const telegramRoot = httpUrl.superRefine((value, ctx) => {
  const url = new URL(value);
  if (url.search !== '' || url.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment' });
  } else if (url.pathname !== '/' && !url.pathname.endsWith('/')) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an origin or end with "/": telegraf would silently drop "${url.pathname}"; write "${value}/"`,
    });
  }
});

/** Ports Telegram delivers webhooks to (https://core.telegram.org/bots/api#setwebhook). */
export const TELEGRAM_WEBHOOK_PORTS = [443, 80, 88, 8443] as const;

// Telegram posts updates only over HTTPS, and only to these ports; anything else would start
// fine and then receive nothing, so it is refused at start-up.
const telegramWebhookUrl = z.string().superRefine((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'https:') {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an https:// URL: Telegram sends webhooks over HTTPS only',
    });
    return;
  }
  const port = url.port === '' ? 443 : Number(url.port);
  if (!(TELEGRAM_WEBHOOK_PORTS as readonly number[]).includes(port)) {
    ctx.addIssue({
      code: 'custom',
      message: `port ${port} is not one Telegram delivers webhooks to; use ${TELEGRAM_WEBHOOK_PORTS.join(', ')}`,
    });
  } else if (url.search !== '' || url.hash !== '') {
    ctx.addIssue({
      code: 'custom',
      message: 'must not have a query or fragment (/webhooks/telegram is appended)',
    });
  }
});

const schema = z.object({
  // Stored without a trailing slash so the client can append `/companies` and the like.
  ALTEGIO_API_URL: httpUrl
    .default('https://api.alteg.io/api/v1')
    .transform((value) => value.replace(/\/+$/, '')),
  ALTEGIO_PARTNER_TOKEN: z.string().optional(),
  ALTEGIO_USER_TOKEN: z.string().optional(),
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_API_ROOT: telegramRoot.default('https://api.telegram.org'),
  // Public https base URL of this engine; set, Telegram pushes updates to /webhooks/telegram instead of being polled.
  TELEGRAM_WEBHOOK_URL: telegramWebhookUrl.optional(),
  WHATSAPP_ENABLED: flag.default(false),
  CHROMIUM_PATH: z.string().optional(),
  DATABASE_PATH: z.string().default('./data/altegio-bot.sqlite'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  SETTINGS_FILE: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, { error: 'must be a whole number from 0 to 65535' })
    .transform(Number)
    .refine((port) => port <= 65_535, { error: 'must be a whole number from 0 to 65535' })
    .default(3000),
  WEBHOOK_SECRET: z.string().optional(),
  ADMIN_TOKEN: z.string().optional(),
  OPERATOR_TOKEN: z.string().optional(),
  ALTEGIO_EGRESS_KEY: z.string().max(200).optional(),
  LOG_LEVEL: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  INSPECT: flag.default(false),
});

type Name = keyof typeof schema.shape;
const NAMES = Object.keys(schema.shape) as Name[];
/** Values never echoed in an error message. */
const SECRETS: ReadonlySet<Name> = new Set([
  'ALTEGIO_PARTNER_TOKEN',
  'ALTEGIO_USER_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'WEBHOOK_SECRET',
  'ADMIN_TOKEN',
  'OPERATOR_TOKEN',
  // It may carry the database password.
  'DATABASE_URL',
]);

export const DEFAULT_SETTINGS_FILE = './settings.yaml';

/**
 * Validates the environment. Empty (or blank) variables count as unset, because `FOO=` in a
 * `.env` file or a compose file means "not configured", not "configured as nothing".
 * Throws one Error naming every bad variable, so a deployment is fixed in one go.
 */
export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const raw: Partial<Record<Name, string>> = {};
  for (const name of NAMES) {
    const value = env[name]?.trim();
    if (value) raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0]) as Name;
      const shown = SECRETS.has(name) ? '' : ` (got ${JSON.stringify(raw[name])})`;
      return `  - ${name}: ${issue.message}${shown}`;
    });
    throw new Error(`Invalid environment variables:\n${lines.join('\n')}`);
  }
  const v = result.data;
  return {
    altegioApiUrl: v.ALTEGIO_API_URL,
    altegioPartnerToken: v.ALTEGIO_PARTNER_TOKEN,
    altegioUserToken: v.ALTEGIO_USER_TOKEN,
    telegramBotToken: v.TELEGRAM_BOT_TOKEN,
    telegramApiRoot: v.TELEGRAM_API_ROOT,
    telegramWebhookUrl: v.TELEGRAM_WEBHOOK_URL,
    whatsappEnabled: v.WHATSAPP_ENABLED,
    chromiumPath: v.CHROMIUM_PATH,
    databasePath: v.DATABASE_PATH,
    databaseUrl: v.DATABASE_URL,
    settingsFile: v.SETTINGS_FILE ?? DEFAULT_SETTINGS_FILE,
    settingsFileExplicit: v.SETTINGS_FILE !== undefined,
    host: v.HOST,
    port: v.PORT,
    webhookSecret: v.WEBHOOK_SECRET,
    adminToken: v.ADMIN_TOKEN,
    operatorToken: v.OPERATOR_TOKEN,
    altegioEgressKey: v.ALTEGIO_EGRESS_KEY,
    logLevel: v.LOG_LEVEL,
    inspect: v.INSPECT,
    sandboxMode: v.ALTEGIO_PARTNER_TOKEN === undefined,
  };
}
