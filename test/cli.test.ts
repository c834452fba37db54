import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './helpers/eventually.js';
import { tempDir } from './helpers/tmp.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'altegio-bot.js');
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
  version: string;
};

interface Run {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: cwd ?? process.cwd(),
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('altegio-bot command line', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('prints its version and help', async () => {
    const versionRun = run(['--version']);
    expect(await versionRun.exit).toBe(0);
    expect(versionRun.output().trim()).toBe(version);
    const helpRun = run(['--help']);
    expect(await helpRun.exit).toBe(0);
    expect(helpRun.output()).toContain('start');
    expect(helpRun.output()).toContain('migrate');
  });

  it('refuses an unknown command with the help text', async () => {
    const result = run(['frobnicate']);
    expect(await result.exit).toBe(2);
    expect(result.output()).toContain('Unknown command "frobnicate"');
  });

  it('migrates an empty database, then finds it up to date', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const env = { DATABASE_PATH: join(dir.path, 'bot.sqlite') };
    const first = run(['migrate'], env);
    expect(await first.exit).toBe(0);
    expect(first.output()).toMatch(/applied \d+ migration/);
    const second = run(['migrate'], env);
    expect(await second.exit).toBe(0);
    expect(second.output()).toContain('database schema up to date');
  });

  it('starts with no configuration, answers /health, and stops cleanly on SIGINT', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const started = run(['start'], { PORT: '0' }, dir.path);
    cleanups.push(() => started.child.kill('SIGKILL'));
    await until(() => /listening on (http:\/\/[\d.:]+)/.test(started.output()), 15_000, 50);
    const url = /listening on (http:\/\/[\d.:]+)/.exec(started.output())?.[1];
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    started.child.kill('SIGINT');
    expect(await started.exit).toBe(0);
    expect(started.output()).toContain('stopped');
  });

  it('refuses a settings file with mistakes, naming each one', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const file = join(dir.path, 'settings.yaml');
    writeFileSync(
      file,
      'records:\n  cancellation: cancel\n  confirmMenuTtl: soon\nfeedback:\n  poorRatingAtMost: 9\n',
    );
    const result = run(['start'], {
      PORT: '0',
      SETTINGS_FILE: file,
      DATABASE_PATH: join(dir.path, 'db.sqlite'),
    });
    expect(await result.exit).toBe(1);
    expect(result.output()).toContain('records.cancellation');
    expect(result.output()).toContain('records.confirmMenuTtl');
    expect(result.output()).toContain('feedback.poorRatingAtMost');
  });
});
