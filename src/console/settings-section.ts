import type { Settings } from '../domain/settings.js';
import type { RecordSync } from '../store/index.js';
import type { BranchInfo } from './altegio-data.js';
import type { FieldState } from './fields.js';
import type { FormFields } from './form.js';
import type { Html } from './html.js';
import type { PageContext, SettingsSection } from './layout.js';

/** What a settings subsection is drawn from. */
export interface SectionData {
  settings: Settings;
  branches: BranchInfo[];
  /** Each branch's last reconcile with Altegio (absent for a branch never synced). */
  syncs: RecordSync[];
}

/** A partial settings document made from a submitted form, and how problems map back to fields. */
export interface SectionChange {
  partial: Record<string, unknown>;
  /** The form field that shows a problem at this dotted path, if any. */
  fieldFor(path: string): string | undefined;
}

/** One subsection of "Settings – Altegio": its fields, and how its form becomes a change. */
export interface Section {
  id: SettingsSection;
  render(context: PageContext, data: SectionData, state: FieldState): Html;
  read(form: FormFields, data: SectionData): SectionChange;
}

/** The last value sent under `name` (a check box sends a hidden `false` first). */
export const last = (form: FormFields, name: string): string => form.all(name).at(-1) ?? '';

export const bool = (form: FormFields, name: string): boolean => last(form, name) === 'true';

/**
 * A number when it is written as one, else the text as typed: the settings schema then refuses it
 * with its own message, the one `PUT /api/settings` gives.
 */
export const numberOrText = (value: string): number | string =>
  /^\d{1,15}$/.test(value) ? Number(value) : value;

/** Fields named exactly as their dotted settings path. */
export const samePath =
  (names: readonly string[]) =>
  (path: string): string | undefined =>
    names.find((name) => path === name || path.startsWith(`${name}[`));
