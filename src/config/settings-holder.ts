import { createHash } from 'node:crypto';
import { mergeSettings, type Settings, type SettingsProblem } from '../domain/settings.js';
import { saveSettingsFile } from './settings-file.js';

/** What an update answers: the new settings, the problems found, or a lost race with another admin. */
export type SettingsUpdateResult =
  | { ok: true; settings: Settings; version: string }
  | { ok: false; conflict?: false; problems: SettingsProblem[] }
  | { ok: false; conflict: true; version: string };

export interface SettingsUpdateOptions {
  /**
   * The version the change was made against (`version()` when the admin loaded the page, or an
   * `If-Match` ETag). When the settings changed meanwhile the update is refused as a conflict, so
   * that two admins editing at once do not silently overwrite each other.
   */
  expectedVersion?: string;
}

/**
 * The salon's current settings. Everything reads them through `get()` when it acts, so a change
 * made through the admin API or the console applies to the next message, job or dialogue without
 * a restart; the file is rewritten so the change survives one.
 */
export interface SettingsHolder {
  get(): Settings;
  /** A digest of the current document: equal documents have equal versions, across restarts too. */
  version(): string;
  /**
   * Deep-merges a partial document into the current settings and validates the whole. On any
   * problem nothing changes and the problems (dotted key paths) are returned.
   */
  update(partial: unknown, options?: SettingsUpdateOptions): Promise<SettingsUpdateResult>;
  /**
   * Takes a document another process saved (a tenant's settings live in the shared database),
   * without saving it again. Answers whether anything changed.
   */
  reload(next: Settings): boolean;
}

/** Where a holder keeps what an update saved: the settings file, or a tenant's database row. */
export type SaveSettings = (settings: Settings) => Promise<void>;

export function settingsVersion(settings: Settings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('base64url').slice(0, 16);
}

/** `file` (a path) is rewritten on every update; a function saves wherever it keeps them. */
export function createSettingsHolder(
  initial: Settings,
  file: string | SaveSettings | undefined,
): SettingsHolder {
  const save: SaveSettings | undefined =
    typeof file === 'string' ? (settings) => saveSettingsFile(file, settings) : file;
  let current = initial;
  let currentVersion = settingsVersion(initial);
  // Updates run one after another, each merged into what the previous one left: two saves at the
  // same moment both apply (or the second reports a conflict) instead of one erasing the other.
  let queue: Promise<unknown> = Promise.resolve();
  const apply = async (partial: unknown, options: SettingsUpdateOptions): Promise<SettingsUpdateResult> => {
    if (options.expectedVersion !== undefined && options.expectedVersion !== currentVersion) {
      return { ok: false, conflict: true, version: currentVersion };
    }
    const merged = mergeSettings(current, partial);
    if (!merged.ok) return merged;
    // Saved first: a change that could not be saved is not applied (it would be lost on the
    // next restart).
    const next = merged.settings;
    if (save) await save(next);
    current = next;
    currentVersion = settingsVersion(next);
    return { ok: true, settings: current, version: currentVersion };
  };
  return {
    get: () => current,
    version: () => currentVersion,
    update(partial, options = {}) {
      const run = queue.catch(() => undefined).then(() => apply(partial, options));
      queue = run;
      return run;
    },
    reload(next) {
      const version = settingsVersion(next);
      if (version === currentVersion) return false;
      current = next;
      currentVersion = version;
      return true;
    },
  };
}
