import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'altegio-bot.js');

async function until(check: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('altegio-bot chat', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('books a visit in the sandbox salon from the terminal, then exits 0 at the end of input', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const settingsFile = join(dir.path, 'settings.yaml');
    writeFileSync(settingsFile, 'variables:\n  language: en\n');
    const child = spawn(process.execPath, [BIN, 'chat'], {
      cwd: dir.path,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        DATABASE_PATH: join(dir.path, 'bot.sqlite'),
        SETTINGS_FILE: settingsFile,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const transcript = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;

    await until(
      () => stdout.includes('/book'),
      () => `the welcome line\n${transcript()}`,
    );
    expect(stdout).toContain('sandbox salon');

    /** Types a line and answers what the bot printed after it, once it has printed a whole turn. */
    let mark = stdout.length;
    const say = async (line: string): Promise<string> => {
      mark = stdout.length;
      child.stdin.write(`${line}\n`);
      await until(
        () => /(\n\d+\. [^\n]*\n[\s\S]*\n\n$)|You are booked[\s\S]*\n\n$/.test(stdout.slice(mark)),
        () => `an answer to "${line}"\n${transcript()}`,
      );
      // Replies of one step may come as more than one message: let them all arrive.
      let length = -1;
      while (length !== stdout.length) {
        length = stdout.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return stdout.slice(mark);
    };

    let answer = await say('/book');
    expect(answer).toMatch(/Choose a service:|branch/i);
    // Walk the booking: first option of every menu, a typed phone, then Confirm.
    let typedPhone = false;
    for (let step = 0; step < 12 && !answer.includes('You are booked'); step += 1) {
      if (answer.includes('Please check')) {
        expect(answer).toContain('Phone: +79160001122');
        const confirm = /^(\d+)\. [^\n]*Confirm/m.exec(answer)?.[1];
        expect(confirm, transcript()).toBeDefined();
        answer = await say(confirm ?? '');
      } else if (/phone number/i.test(answer) && !typedPhone) {
        expect(answer).toContain('type your phone number');
        typedPhone = true;
        answer = await say('+7 916 000-11-22');
      } else {
        expect(answer, transcript()).toMatch(/^1\. /m);
        answer = await say('1');
      }
    }
    expect(answer, transcript()).toContain('You are booked');
    expect(typedPhone).toBe(true);

    child.stdin.end();
    expect(await exit).toBe(0);
    // Logs stay off the conversation: nothing but warnings, on stderr.
    expect(stdout).not.toContain('"level"');
  }, 60_000);
});
