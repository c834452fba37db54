/**
 * The settings file (`SETTINGS_FILE`, YAML or JSON) on disk: read at start-up, rewritten when the
 * admin API changes a setting so the change survives a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import {
  defaultSettings,
  formatProblems,
  parseSettings,
  type Settings,
  type SettingsProblem,
} from '../domain/settings.js';

/**
 * A settings file that cannot be used. `problems` holds every reason (all validation problems at
 * once), and the message lists them one per line, ready for the console.
 */
export class SettingsError extends Error {
  readonly problems: SettingsProblem[];
  readonly file: string;

  constructor(file: string, problems: SettingsProblem[]) {
    super(`Settings file ${file} cannot be used:\n${indent(formatProblems(problems))}`);
    this.name = 'SettingsError';
    this.file = file;
    this.problems = problems;
  }
}

function indent(lines: string): string {
  return lines
    .split('\n')
    .map((line) => `  - ${line}`)
    .join('\n');
}

export type LoadResult =
  /** `defaults`: no file at the default path; the caller should say so in the log. */
  | { ok: true; settings: Settings; source: 'file' | 'defaults'; path: string }
  | { ok: false; problems: SettingsProblem[]; path: string; error: SettingsError };

export interface LoadOptions {
  /**
   * The path was given by the user (`SETTINGS_FILE` set). Then a missing file is an error: a
   * typo in the path must not silently start the salon on default settings.
   */
  explicit?: boolean;
}

function failure(path: string, problems: SettingsProblem[]): LoadResult {
  return { ok: false, problems, path, error: new SettingsError(path, problems) };
}

function fileProblem(message: string): SettingsProblem {
  return { path: '', value: undefined, message, kind: 'syntax' };
}

/**
 * Reads and validates a settings file. Expected failures (missing explicit file, syntax error,
 * invalid values) come back as `{ ok: false }` with every problem; `error` is ready to throw.
 * YAML parses JSON too, so one parser serves `.yaml`, `.yml`, `.json` and anything else.
 */
export async function loadSettingsFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.explicit) {
      return { ok: true, settings: defaultSettings(), source: 'defaults', path };
    }
    const reason =
      code === 'ENOENT' ? 'the file does not exist' : `the file cannot be read (${code ?? String(error)})`;
    return failure(path, [fileProblem(reason)]);
  }

  const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return failure(
      path,
      document.errors.map((error) => {
        const at = error.linePos?.[0];
        const where = at ? `line ${at.line}, column ${at.col}` : 'unknown position';
        // yaml's own message repeats the position and adds a code excerpt: keep its first line.
        const firstLine = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return fileProblem(
          `${extname(path) === '.json' ? 'JSON' : 'YAML'} syntax error at ${where}: ${firstLine}`,
        );
      }),
    );
  }

  // An empty (or comments-only) file means "nothing changed from the defaults".
  const data: unknown = document.toJS() ?? {};
  const result = parseSettings(data);
  if (!result.ok) return failure(path, result.problems);
  return { ok: true, settings: result.settings, source: 'file', path };
}

const HEADER =
  '# Written by altegio-bot after a change through the admin API.\n' +
  '# Comments from the previous version of this file are not kept; see settings.example.yaml.\n';

/**
 * Writes the settings (JSON for `.json`, YAML otherwise). The file is written beside its target
 * and renamed over it, so a crash mid-write leaves the old file whole, never half of the new one.
 */
export async function saveSettingsFile(path: string, settings: Settings): Promise<void> {
  const text =
    extname(path) === '.json'
      ? `${JSON.stringify(settings, null, 2)}\n`
      : HEADER + stringify(settings, { lineWidth: 0 });
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { encoding: 'utf8', flush: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
