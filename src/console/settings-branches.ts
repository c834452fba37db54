/** Settings subsections Branches and Client categories: one card per branch served. */
import { formatInTimeZone } from 'date-fns-tz';
import { maskPhonesIn } from '../domain/phone.js';
import type { BranchSettings, Settings } from '../domain/settings.js';
import { BRANCH_FIELD_VARIABLES, scanTemplate } from '../domain/template-variables.js';
import type { BranchInfo } from './altegio-data.js';
import { checkList, fieldId, textField } from './fields.js';
import type { FormFields } from './form.js';
import { type Html, html } from './html.js';
import type { ConsoleT } from './i18n.js';
import { last, numberOrText, type Section, type SectionData } from './settings-section.js';

const FIELDS = ['bookingLink', 'reviewLink', 'address'] as const;
type BranchField = (typeof FIELDS)[number];

const emptyBranch = (id: number): BranchSettings => ({
  id,
  bookingLink: '',
  reviewLink: '',
  address: '',
  excludedClientCategoryIds: [],
});

/**
 * Every branch served, as it stands in the settings or empty. Saving writes them all: in sandbox
 * mode an empty `branches[]` means "every branch", so writing only the edited one would stop
 * serving the others.
 */
function allBranches(data: SectionData): BranchSettings[] {
  const list = [...data.settings.branches];
  for (const info of data.branches) if (!list.some((b) => b.id === info.id)) list.push(emptyBranch(info.id));
  return list;
}

/** `branches[2].reviewLink` → the form field of that branch's card. */
function branchFieldFor(list: readonly BranchSettings[], fields: readonly string[]) {
  return (path: string): string | undefined => {
    const match = /^branches\[(\d+)\](?:\.(\w+))?/.exec(path);
    if (!match) return undefined;
    const branch = list[Number(match[1])];
    const field = match[2] ?? 'id';
    if (!branch || !fields.includes(field)) return undefined;
    return `branch.${branch.id}.${field}`;
  };
}

/** Templates that use a branch variable whose field is empty in this branch: the engine's own settings error. */
export function emptyFieldWarnings(settings: Settings, branch: BranchSettings, t: ConsoleT): string[] {
  const warnings: string[] = [];
  for (const template of settings.templates) {
    if (!template.enabled) continue;
    const used = scanTemplate(template.text).names;
    for (const [variable, field] of Object.entries(BRANCH_FIELD_VARIABLES)) {
      if (used.includes(variable) && branch[field] === '') {
        warnings.push(
          t('settings.branches.emptyWarning', {
            kind: t(`templates.kinds.${template.kind}`),
            variable: `{{${variable}}}`,
            field: t(`settings.branches.${field}.label`),
          }),
        );
      }
    }
  }
  return warnings;
}

/**
 * The branch's last successful reconcile with Altegio, in the salon's zone, and the error when the
 * last attempt failed (a success clears it, so a kept error is always the latest attempt's).
 */
function syncStatus(data: SectionData, id: number, t: ConsoleT): Html {
  const sync = data.syncs.find((s) => s.companyId === id);
  const zone = data.settings.general.timezone;
  const at = sync?.lastSyncAt ?? null;
  const shown =
    at === null
      ? html`<span>${t('settings.branches.sync.never')}</span>`
      : html`<time datetime="${new Date(at).toISOString()}">${formatInTimeZone(at, zone, 'yyyy-MM-dd HH:mm')}</time>`;
  return html`<p class="branch-sync"><span>${t('settings.branches.sync.label')}:</span> ${shown}</p>
    ${
      sync?.lastError
        ? html`<p class="warning" role="note">${t('settings.branches.sync.failed', {
            time:
              sync.lastErrorAt === null ? '—' : formatInTimeZone(sync.lastErrorAt, zone, 'yyyy-MM-dd HH:mm'),
            reason: maskPhonesIn(sync.lastError),
          })}</p>`
        : ''
    }`;
}

function titleOf(branches: readonly BranchInfo[], id: number): string {
  return branches.find((b) => b.id === id)?.title ?? `#${id}`;
}

export const branchesSection: Section = {
  id: 'branches',
  render({ t }, data, state) {
    const list = allBranches(data);
    if (list.length === 0) return html`<p class="empty">${t('settings.branches.none')}</p>`;
    return html`<div class="cards">
      ${list.map((branch) => {
        const idField = `branch-id-${branch.id}`;
        const warnings = emptyFieldWarnings(data.settings, branch, t);
        return html`<article class="card" aria-labelledby="${fieldId(idField)}-title">
          <h3 id="${fieldId(idField)}-title">${titleOf(data.branches, branch.id)}</h3>
          <p class="branch-id">
            <span>${t('settings.branches.id.label')}:</span>
            <output id="${fieldId(idField)}">${branch.id}</output>
            <button type="button" class="copy" data-copy="${branch.id}" data-copied="${t('settings.branches.id.copied')}" aria-describedby="${fieldId(idField)}">${t('settings.branches.id.copy')}</button>
            <span class="copied" role="status" aria-live="polite"></span>
          </p>
          <p class="help">${t('settings.branches.id.help')}</p>
          ${syncStatus(data, branch.id, t)}
          ${FIELDS.map((field: BranchField) =>
            textField(state, {
              name: `branch.${branch.id}.${field}`,
              label: t(`settings.branches.${field}.label`),
              help: t(`settings.branches.${field}.help`),
              value: branch[field],
              ...(field === 'address' ? {} : { type: 'url' }),
            }),
          )}
          ${warnings.map((warning) => html`<p class="warning" role="note">${warning}</p>`)}
        </article>`;
      })}
    </div>
    <p class="help">${t('settings.branches.note')}</p>`;
  },
  read(form, data) {
    const list = allBranches(data).map((branch) => {
      const next: Record<string, unknown> = { ...branch };
      for (const field of FIELDS) {
        const name = `branch.${branch.id}.${field}`;
        if (form.has(name)) next[field] = last(form, name).trim();
      }
      return next;
    });
    return {
      partial: { branches: list },
      fieldFor: branchFieldFor(allBranches(data), FIELDS),
    };
  },
};

function readExcluded(form: FormFields, branch: BranchSettings): unknown[] {
  const name = `branch.${branch.id}.excludedClientCategoryIds`;
  if (!form.has(`${name}.present`)) return branch.excludedClientCategoryIds;
  return form.all(name).map(numberOrText);
}

export const categoriesSection: Section = {
  id: 'categories',
  render({ t }, data, state) {
    const list = allBranches(data);
    if (list.length === 0) return html`<p class="empty">${t('settings.branches.none')}</p>`;
    return html`${list.map((branch) => {
      const info = data.branches.find((b) => b.id === branch.id);
      const categories = info && Array.isArray(info.categories) ? info.categories : [];
      const options = categories.map((c) => ({ value: String(c.id), label: c.title }));
      for (const id of branch.excludedClientCategoryIds) {
        if (!options.some((o) => o.value === String(id))) {
          options.push({ value: String(id), label: t('settings.categories.unknown', { id }) });
        }
      }
      return html`${checkList(state, {
        name: `branch.${branch.id}.excludedClientCategoryIds`,
        label: titleOf(data.branches, branch.id),
        selected: branch.excludedClientCategoryIds.map(String),
        options,
        empty: t('settings.categories.empty'),
      })}
      ${
        info && !Array.isArray(info.categories)
          ? html`<p class="warning">${t('common.altegioFailed', { reason: info.categories.error })}</p>`
          : ''
      }`;
    })}`;
  },
  read(form, data) {
    const list = allBranches(data).map((branch) => ({
      ...branch,
      excludedClientCategoryIds: readExcluded(form, branch),
    }));
    return {
      partial: { branches: list },
      fieldFor: branchFieldFor(allBranches(data), ['excludedClientCategoryIds']),
    };
  },
};
