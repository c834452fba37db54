import { parseArgs } from 'node:util';
import { createEngine } from './engine.js';
import { TENANT_HELP } from './tenants/cli.js';
import { VERSION } from './version.js';

const HELP = `altegio-bot ${VERSION} — connects a salon's Altegio calendar to its clients' messengers

Usage: altegio-bot <command> [options]

Commands:
  start [--inspect]            apply pending migrations, load settings and serve.
                               Without ALTEGIO_PARTNER_TOKEN it runs against an embedded
                               sandbox salon, so every flow can be tried at once.
  chat                         start as above and chat with the bot on this terminal, as a
                               client would (type /book); Ctrl-C or Ctrl-D ends it
  migrate                      apply pending database migrations and exit
  sandbox [--port N] [--host H]
                               serve the sandbox Altegio alone (its URL can be used as
                               ALTEGIO_API_URL)
${TENANT_HELP}

Options:
  -h, --help                   show this help
  -v, --version                print the version

Configuration comes from environment variables (see README.md) and the settings file
(SETTINGS_FILE, default ./settings.yaml; settings.example.yaml lists every key). With
OPERATOR_TOKEN and DATABASE_URL set, start serves every salon of the tenants registry.
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'tenant') {
    const { runTenantCommand } = await import('./tenants/cli.js');
    return runTenantCommand(argv.slice(1), process.env);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      inspect: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 1 : 0;
  }
  switch (command) {
    case 'start':
      return start(values.inspect === true);
    case 'chat': {
      const { runChat } = await import('./chat.js');
      return runChat();
    }
    case 'migrate':
      return migrate();
    case 'sandbox':
      return sandbox(values.host, values.port);
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

async function start(inspect: boolean): Promise<number> {
  const env = inspect ? { ...process.env, INSPECT: '1' } : process.env;
  const engine = env.OPERATOR_TOKEN?.trim()
    ? (await import('./tenants/host.js')).createTenantHost({ env })
    : createEngine({ env });
  await engine.start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(1);
      }
      stopping = true;
      engine.stop().then(resolve, (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // The inspector's WebSocket client keeps reconnecting after stop(); nothing else is left to wait for.
  if (inspect) process.exit(process.exitCode ?? 0);
  return 0;
}

async function migrate(): Promise<number> {
  const { runMigrations } = await import('./engine.js');
  await runMigrations(process.env);
  return 0;
}

async function sandbox(host: string | undefined, port: string | undefined): Promise<number> {
  const { runSandbox } = await import('./altegio/sandbox/cli.js');
  const portNumber = port === undefined ? 4000 : Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    process.stderr.write(`--port must be a whole number from 0 to 65535, got "${port}"\n`);
    return 2;
  }
  await runSandbox({ host: host ?? '127.0.0.1', port: portNumber });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    // Configuration errors carry a complete, human message; print it without a stack trace.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
