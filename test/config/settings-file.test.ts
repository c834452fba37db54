import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LoadResult,
  loadSettingsFile,
  SettingsError,
  saveSettingsFile,
} from '../../src/config/settings-file.js';
import { defaultSettings, formatProblems, mergeSettings, type Settings } from '../../src/domain/settings.js';

const EXAMPLE = fileURLToPath(new URL('../../settings.example.yaml', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'altegio-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function loaded(result: LoadResult): Settings {
  if (!result.ok) throw result.error;
  return result.settings;
}

function failed(result: LoadResult): string {
  if (result.ok) throw new Error('expected the file to be refused');
  return formatProblems(result.problems);
}

describe('loadSettingsFile', () => {
  it('should refuse a settings file with three wrong values with three precise messages', async () => {
    const path = await write(
      'settings.yaml',
      [
        'records:',
        '  cancellation: cancel',
        'booking:',
        '  replyTimeout: 15',
        'feedback:',
        '  poorRatingAtMost: 7',
      ].join('\n'),
    );
    const result = await loadSettingsFile(path);
    expect(failed(result)).toBe(
      [
        'booking.replyTimeout: 15 is not allowed; must be a duration like "30s", "15m", "24h", "2d" or "1h30m", written as text with its unit',
        'records.cancellation: "cancel" is not allowed; must be one of "no-show", "delete"',
        'feedback.poorRatingAtMost: 7 is not allowed; must be a whole number from 1 to 5',
      ].join('\n'),
    );
    expect(!result.ok && result.error).toBeInstanceOf(SettingsError);
    expect(!result.ok && result.error.message).toBe(
      `Settings file ${path} cannot be used:\n${[
        '  - booking.replyTimeout: 15 is not allowed; must be a duration like "30s", "15m", "24h", "2d" or "1h30m", written as text with its unit',
        '  - records.cancellation: "cancel" is not allowed; must be one of "no-show", "delete"',
        '  - feedback.poorRatingAtMost: 7 is not allowed; must be a whole number from 1 to 5',
      ].join('\n')}`,
    );
  });

  it('should load a YAML file, keeping defaults for what it leaves out', async () => {
    const path = await write('settings.yml', 'booking:\n  replyTimeout: 30s\nbranches:\n  - id: 101\n');
    const result = await loadSettingsFile(path);
    expect(result).toMatchObject({ ok: true, source: 'file', path });
    const settings = loaded(result);
    expect(settings.booking.replyTimeout).toBe('30s');
    expect(settings.booking.chooseStaff).toBe(true);
    expect(settings.branches.map((branch) => branch.id)).toEqual([101]);
    expect(settings.templates).toEqual(defaultSettings().templates);
  });

  it('should load a JSON file', async () => {
    const path = await write(
      'settings.json',
      JSON.stringify({ general: { testMode: true, adminPhone: '+79161234567' } }),
    );
    expect(loaded(await loadSettingsFile(path)).general).toMatchObject({
      testMode: true,
      adminPhone: '79161234567',
    });
  });

  it('should read a file with another extension as YAML', async () => {
    const path = await write('salon.conf', 'records:\n  cancellation: delete\n');
    expect(loaded(await loadSettingsFile(path)).records.cancellation).toBe('delete');
  });

  it('should use the defaults when the default file is missing, and say so', async () => {
    const result = await loadSettingsFile(join(dir, 'settings.yaml'));
    expect(result).toMatchObject({ ok: true, source: 'defaults' });
    expect(loaded(result)).toEqual(defaultSettings());
  });

  it('should refuse a missing file that was named explicitly', async () => {
    const path = join(dir, 'setings.yaml');
    const result = await loadSettingsFile(path, { explicit: true });
    expect(failed(result)).toBe('the file does not exist');
    expect(!result.ok && result.error.message).toBe(
      `Settings file ${path} cannot be used:\n  - the file does not exist`,
    );
  });

  it('should treat an empty or comments-only file as all defaults', async () => {
    expect(loaded(await loadSettingsFile(await write('empty.yaml', '')))).toEqual(defaultSettings());
    expect(loaded(await loadSettingsFile(await write('comments.yaml', '# nothing yet\n')))).toEqual(
      defaultSettings(),
    );
  });

  it('should name the line and column of a YAML syntax error', async () => {
    const path = await write(
      'settings.yaml',
      'booking:\n  replyTimeout: 15m\n  chooseStaff: [true\nrecords: {}\n',
    );
    const message = failed(await loadSettingsFile(path));
    expect(message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(message).not.toContain('\n  ');
  });

  it('should point at the exact place of a bad indentation', async () => {
    const path = await write('settings.yaml', 'booking:\n  replyTimeout: 15m\n chooseStaff: true\n');
    expect(failed(await loadSettingsFile(path))).toBe(
      'YAML syntax error at line 3, column 1: All mapping items must start at the same column',
    );
  });

  it('should name the line and column of a JSON syntax error', async () => {
    const path = await write('settings.json', '{\n  "booking": {\n    "replyTimeout": "15m",\n  }\n}}\n');
    expect(failed(await loadSettingsFile(path))).toMatch(/^JSON syntax error at line \d+, column \d+: /);
  });

  it('should refuse a key written twice rather than keep one silently', async () => {
    const path = await write('settings.yaml', 'booking:\n  replyTimeout: 15m\n  replyTimeout: 5m\n');
    expect(failed(await loadSettingsFile(path))).toMatch(/^YAML syntax error at line 3, column 3: .*unique/);
  });

  it('should refuse YAML 1.1 style booleans with a hint', async () => {
    const path = await write('settings.yaml', 'general:\n  testMode: yes\n');
    expect(failed(await loadSettingsFile(path))).toBe(
      'general.testMode: "yes" is not allowed; must be true or false (write true or false, without quotes)',
    );
  });

  it('should load settings.example.yaml as exactly the defaults', async () => {
    const result = await loadSettingsFile(EXAMPLE, { explicit: true });
    expect(loaded(result)).toEqual(defaultSettings());
  });

  it('should list every settings key in settings.example.yaml', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    const keys = (value: unknown): string[] =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, inner]) => [key, ...keys(inner)])
        : [];
    const documented = [
      ...keys(defaultSettings()),
      'adminPhone',
      'id',
      'bookingLink',
      'reviewLink',
      'address',
      'excludedClientCategoryIds',
      'kind',
      'text',
      'language',
      'offset',
      'enabled',
      'status',
      'title',
    ];
    for (const key of documented) expect(text, key).toMatch(new RegExp(`\\b${key}\\b`));
  });
});

describe('saveSettingsFile', () => {
  it('should write YAML that loads back to the same settings', async () => {
    const changed = mergeSettings(defaultSettings(), {
      general: { testMode: true, adminPhone: '+7 916 123-45-67' },
      branches: [{ id: 7, reviewLink: 'https://maps.example/7' }],
      templates: [{ kind: 'feedback', text: 'Оцените нас: {{review_link}}' }],
    });
    if (!changed.ok) throw new Error(formatProblems(changed.problems));
    const path = join(dir, 'settings.yaml');
    await saveSettingsFile(path, changed.settings);
    expect(await readFile(path, 'utf8')).toMatch(/^# Written by altegio-bot/);
    expect(loaded(await loadSettingsFile(path, { explicit: true }))).toEqual(changed.settings);
  });

  it('should write JSON for a .json path', async () => {
    const path = join(dir, 'settings.json');
    await saveSettingsFile(path, defaultSettings());
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(defaultSettings());
  });

  it('should replace an existing file, create missing folders and leave no temporary file', async () => {
    const path = join(dir, 'nested', 'conf', 'settings.yaml');
    await saveSettingsFile(path, defaultSettings());
    const second = mergeSettings(defaultSettings(), { records: { cancellation: 'delete' } });
    if (!second.ok) throw new Error('unexpected');
    await saveSettingsFile(path, second.settings);
    expect(loaded(await loadSettingsFile(path)).records.cancellation).toBe('delete');
    expect(await readdir(join(dir, 'nested', 'conf'))).toEqual(['settings.yaml']);
  });
});
