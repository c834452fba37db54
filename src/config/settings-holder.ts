import { mergeSettings, type Settings, type SettingsProblem } from '../domain/settings.js';
import { saveSettingsFile } from './settings-file.js';

/**
 * The salon's current settings. Everything reads them through `get()` when it acts, so a change
 * made through the admin API applies to the next message, job or dialogue without a restart; the
 * file is rewritten so the change survives one.
 */
export interface SettingsHolder {
  get(): Settings;
  /**
   * Deep-merges a partial document into the current settings and validates the whole. On any
   * problem nothing changes and the problems (dotted key paths) are returned.
   */
  update(
    partial: unknown,
  ): Promise<{ ok: true; settings: Settings } | { ok: false; problems: SettingsProblem[] }>;
}

export function createSettingsHolder(initial: Settings, file: string | undefined): SettingsHolder {
  let current = initial;
  let writing: Promise<void> = Promise.resolve();
  return {
    get: () => current,
    async update(partial) {
      const merged = mergeSettings(current, partial);
      if (!merged.ok) return merged;
      current = merged.settings;
      const snapshot = current;
      // Writes are serialised so that two quick updates land in the file in order.
      writing = writing.then(() => (file ? saveSettingsFile(file, snapshot) : undefined));
      await writing;
      return { ok: true, settings: current };
    },
  };
}
