/** Settings subsections Variables and Automatic tasks. */
import { LANGUAGES, TASK_STATUSES } from '../domain/settings.js';
import { TEMPLATE_VARIABLES } from '../domain/template-variables.js';
import { checkbox, fieldId, selectField, textField } from './fields.js';
import { flag, html } from './html.js';
import { sampleValues } from './sample.js';
import { bool, last, type Section } from './settings-section.js';

const overrideName = (language: string, variable: string) => `variables.overrides.${language}.${variable}`;

export const variablesSection: Section = {
  id: 'variables',
  render({ t }, { settings, branches }, state) {
    const now = Date.now();
    const first = branches[0];
    return html`
      ${selectField(state, {
        name: 'variables.language',
        label: t('settings.variables.language.label'),
        help: t('settings.variables.language.help'),
        value: settings.variables.language,
        options: LANGUAGES.map((lng) => ({ value: lng, label: t(`languages.${lng}`) })),
      })}
      <p class="help">${t('settings.variables.values.help')}</p>
      ${LANGUAGES.map((lng) => {
        const defaults = sampleValues(settings, lng, first, now);
        return html`<details class="variables"${flag('open', lng === settings.variables.language)}>
          <summary>${t('settings.variables.values.label', { language: t(`languages.${lng}`) })}</summary>
          ${TEMPLATE_VARIABLES.map((variable) => {
            const name = overrideName(lng, variable);
            const value = settings.variables.overrides[lng]?.[variable] ?? '';
            return html`<div class="variable-row">
              ${textField(state, {
                name,
                label: `{{${variable}}}`,
                help: t(`variables.${variable}`),
                value,
                placeholder: defaults[variable] ?? '',
              })}
              <button type="submit" name="_reset" value="${name}" aria-describedby="${fieldId(name)}"${flag('disabled', value === '')}>${t('settings.variables.reset')}</button>
            </div>`;
          })}
        </details>`;
      })}`;
  },
  read(form, { settings }) {
    const reset = form.get('_reset');
    const overrides: Record<string, Record<string, string | null> | null> = {};
    for (const lng of LANGUAGES) {
      const current = settings.variables.overrides[lng] ?? {};
      const values: Record<string, string | null> = {};
      for (const variable of TEMPLATE_VARIABLES) {
        const name = overrideName(lng, variable);
        const value = name === reset ? '' : last(form, name);
        if (value !== '') values[variable] = value;
        // Empty means "not edited" to the renderer; the key is removed (null) rather than kept empty.
        else if (current[variable] !== undefined) values[variable] = null;
      }
      const kept = Object.values(values).some((value) => value !== null);
      // Every edited value of a language reset: the language goes, rather than stay as `{}`.
      if (
        !kept &&
        Object.keys(current).length > 0 &&
        Object.keys(values).length === Object.keys(current).length
      ) {
        overrides[lng] = null;
      } else if (Object.keys(values).length > 0) overrides[lng] = values;
    }
    return {
      partial: { variables: { language: last(form, 'variables.language'), overrides } },
      fieldFor: (path) =>
        path === 'variables.language' || path.startsWith('variables.overrides.') ? path : undefined,
    };
  },
};

export const tasksSection: Section = {
  id: 'tasks',
  render({ t }, { settings }, state) {
    const rules = [...settings.tasks.onStatusChange.map((rule, index) => ({ key: String(index), ...rule }))];
    // Rows sent back after a refused save keep their count, including a new one being added.
    const rows = state.form ? state.form.all('rule').map((key) => ({ key, status: '', title: '' })) : rules;
    rows.push({ key: `new${rows.length}`, status: 'came', title: '' });
    const statusOptions = TASK_STATUSES.map((status) => ({
      value: status,
      label: t(`taskStatuses.${status}`),
    }));
    return html`
      <fieldset class="rules">
        <legend>${t('settings.tasks.onStatusChange.label')}</legend>
        <p class="help">${t('settings.tasks.onStatusChange.help')}</p>
        ${rows.map(
          (row) => html`<div class="rule">
            <input type="hidden" name="rule" value="${row.key}">
            ${selectField(state, {
              name: `rule.${row.key}.status`,
              label: t('settings.tasks.status'),
              value: row.status,
              options: statusOptions,
            })}
            ${textField(state, { name: `rule.${row.key}.title`, label: t('settings.tasks.taskTitle'), value: row.title })}
            ${
              row.key.startsWith('new')
                ? ''
                : checkbox(state, {
                    name: `rule.${row.key}.remove`,
                    label: t('settings.tasks.remove'),
                    checked: false,
                  })
            }
          </div>`,
        )}
      </fieldset>
      ${checkbox(state, {
        name: 'tasks.onPoorRating',
        label: t('settings.tasks.onPoorRating.label'),
        help: t('settings.tasks.onPoorRating.help'),
        checked: settings.tasks.onPoorRating,
      })}`;
  },
  read(form) {
    const kept: string[] = [];
    const list: { status: string; title: string }[] = [];
    for (const key of form.all('rule')) {
      const title = last(form, `rule.${key}.title`);
      if (bool(form, `rule.${key}.remove`)) continue;
      // The empty row for adding a rule is not a rule until it has a title.
      if (key.startsWith('new') && title.trim() === '') continue;
      kept.push(key);
      list.push({ status: last(form, `rule.${key}.status`), title: title.trim() });
    }
    return {
      partial: { tasks: { onStatusChange: list, onPoorRating: bool(form, 'tasks.onPoorRating') } },
      fieldFor(path) {
        if (path === 'tasks.onPoorRating') return path;
        const match = /^tasks\.onStatusChange\[(\d+)\]\.(status|title)/.exec(path);
        const key = match ? kept[Number(match[1])] : undefined;
        return key === undefined || !match ? undefined : `rule.${key}.${match[2]}`;
      },
    };
  },
};
