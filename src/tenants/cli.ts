/**
 * `altegio-bot tenant add|remove|list`: the operator's commands, on the database at
 * `DATABASE_URL`. Running processes pick the change up at their next registry poll.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { parseEnv } from '../config/env.js';
import { migratePostgres, openPostgres } from '../store/pg/db.js';
import { addTenant, removeTenant, tenantAccess, tenantSummary } from './operations.js';
import { createTenantsRegistry, NewTenant, TenantExistsError } from './registry.js';

export const TENANT_HELP = `  tenant add <id> [--name N] [--telegram-token T] [--altegio-partner-token P]
             [--altegio-user-token U] [--altegio-api-url URL] [--settings FILE]
                               add a salon (needs DATABASE_URL); prints its admin token,
                               webhook secret and URLs once. No Altegio token: a sandbox salon
  tenant remove <id>           stop the salon everywhere and delete all of its data
  tenant list                  the salons, without their secrets`;

export async function runTenantCommand(args: string[], rawEnv: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'telegram-token': { type: 'string' },
      'altegio-partner-token': { type: 'string' },
      'altegio-user-token': { type: 'string' },
      'altegio-api-url': { type: 'string' },
      settings: { type: 'string' },
    },
  });
  const [action, id] = positionals;
  const env = parseEnv(rawEnv);
  if (env.databaseUrl === undefined) {
    process.stderr.write('tenant commands need DATABASE_URL: salons share one Postgres database\n');
    return 2;
  }
  const db = openPostgres(env.databaseUrl, { maxConnections: 2 });
  try {
    await migratePostgres(db);
    const registry = createTenantsRegistry(db);
    const publicUrl = env.telegramWebhookUrl ?? `http://${env.host}:${env.port}`;
    switch (action) {
      case 'list': {
        const rows = await registry.list();
        // One JSON object per line on stdout, for scripts; the empty case said on stderr.
        if (rows.length === 0)
          process.stderr.write('no salons yet: add one with `altegio-bot tenant add <id>`\n');
        for (const row of rows) process.stdout.write(`${JSON.stringify(tenantSummary(row))}\n`);
        return 0;
      }
      case 'add': {
        const partnerToken = values['altegio-partner-token'];
        const input = NewTenant.safeParse({
          id,
          ...(values.name === undefined ? {} : { name: values.name }),
          ...(values['telegram-token'] === undefined ? {} : { telegramBotToken: values['telegram-token'] }),
          ...(partnerToken === undefined
            ? {}
            : {
                altegio: {
                  partnerToken,
                  ...(values['altegio-user-token'] === undefined
                    ? {}
                    : { userToken: values['altegio-user-token'] }),
                  ...(values['altegio-api-url'] === undefined ? {} : { apiUrl: values['altegio-api-url'] }),
                },
              }),
          ...(values.settings === undefined
            ? {}
            : { settings: parseYaml(await readFile(values.settings, 'utf8')) }),
        });
        if (!input.success) {
          const issue = input.error.issues[0];
          process.stderr.write(
            `cannot add the salon: ${issue?.path.join('.') || 'input'}: ${issue?.message}\n`,
          );
          return 2;
        }
        const added = await addTenant(registry, input.data, Date.now());
        if (!added.ok) {
          for (const problem of added.problems)
            process.stderr.write(`settings: ${problem.path}: ${problem.message}\n`);
          return 2;
        }
        if (env.telegramWebhookUrl === undefined) {
          // Telegram and Altegio cannot reach a local address: say so rather than print URLs that fail.
          process.stderr.write(
            `TELEGRAM_WEBHOOK_URL is not set, so the URLs below start with the local ${publicUrl}: put the public https address of the deployment in their place (set TELEGRAM_WEBHOOK_URL to have it printed)\n`,
          );
        }
        process.stdout.write(`${JSON.stringify(tenantAccess(added.tenant, publicUrl), null, 2)}\n`);
        return 0;
      }
      case 'remove': {
        if (id === undefined) break;
        const result = await removeTenant(registry, id, Date.now(), { pool: db.$client });
        if (result === 'unknown') {
          process.stderr.write(`no tenant "${id}"\n`);
          return 1;
        }
        process.stdout.write(`removed salon "${id}" and all of its data\n`);
        return 0;
      }
    }
    process.stderr.write(`usage:\n${TENANT_HELP}\n`);
    return 2;
  } catch (error) {
    if (error instanceof TenantExistsError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.$client.end();
  }
}
