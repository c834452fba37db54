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
      // The file first: a change that could not be saved is not applied (it would be lost on the
      // next restart). Writes are serialised, and one failure does not block the next update.
      const next = merged.settings;
      const write = writing
        .catch(() => undefined)
        .then(() => (file ? saveSettingsFile(file, next) : undefined));
      writing = write;
      await write;
      current = next;
      return { ok: true, settings: current };
    },
  };
}
