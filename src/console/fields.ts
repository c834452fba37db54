/**
 * Accessible form fields: every input has a label, its explanation and its error are tied to it
 * with `aria-describedby`, and a wrong field is `aria-invalid`. A field's `name` is also how a
 * settings problem finds its way back to it (see `SectionState.problems`).
 */
import type { SettingsProblemView } from '../http/change-settings.js';
import type { FormFields } from './form.js';
import { flag, type Html, html } from './html.js';

/** What a section is drawn with: the values submitted (after a refused save) and the problems. */
export interface FieldState {
  form?: FormFields | undefined;
  /** Problem messages by field name. */
  errors: ReadonlyMap<string, readonly string[]>;
}

export const fieldId = (name: string): string => `f-${name.replace(/[^a-zA-Z0-9]+/g, '-')}`;

function describedBy(name: string, help: string | undefined, errors: readonly string[]): string {
  const ids = [help ? `${fieldId(name)}-help` : '', errors.length > 0 ? `${fieldId(name)}-error` : ''];
  return ids.filter(Boolean).join(' ');
}

function errorText(name: string, errors: readonly string[]): Html | string {
  if (errors.length === 0) return '';
  return html`<p class="error" id="${fieldId(name)}-error">${errors.join('; ')}</p>`;
}

function helpText(name: string, help: string | undefined): Html | string {
  return help ? html`<p class="help" id="${fieldId(name)}-help">${help}</p>` : '';
}

interface FieldSpec {
  name: string;
  label: string;
  help?: string | undefined;
}

/** The submitted value if the form was submitted, else the current one. */
export function shown(state: FieldState, name: string, current: string): string {
  return state.form?.has(name) ? (state.form.get(name) ?? '') : current;
}

export function textField(
  state: FieldState,
  spec: FieldSpec & { value: string; type?: string; placeholder?: string; inputmode?: string },
): Html {
  const errors = state.errors.get(spec.name) ?? [];
  const id = fieldId(spec.name);
  return html`<div class="field${errors.length > 0 ? ' invalid' : ''}">
    <label for="${id}">${spec.label}</label>
    <input id="${id}" name="${spec.name}" type="${spec.type ?? 'text'}" value="${shown(state, spec.name, spec.value)}"${
      spec.placeholder ? html` placeholder="${spec.placeholder}"` : ''
    }${spec.inputmode ? html` inputmode="${spec.inputmode}"` : ''} aria-describedby="${describedBy(spec.name, spec.help, errors)}"${flag('aria-invalid="true"', errors.length > 0)}>
    ${helpText(spec.name, spec.help)}
    ${errorText(spec.name, errors)}
  </div>`;
}

/**
 * A check box that also says "off": a hidden `false` goes first, so an unchecked box is sent as
 * `false` and a checked one as `false,true` (the last value wins).
 */
export function checkbox(state: FieldState, spec: FieldSpec & { checked: boolean }): Html {
  const errors = state.errors.get(spec.name) ?? [];
  const id = fieldId(spec.name);
  const checked = state.form?.has(spec.name) ? state.form.all(spec.name).at(-1) === 'true' : spec.checked;
  return html`<div class="field check${errors.length > 0 ? ' invalid' : ''}">
    <input type="hidden" name="${spec.name}" value="false">
    <input id="${id}" name="${spec.name}" type="checkbox" value="true"${flag('checked', checked)} aria-describedby="${describedBy(spec.name, spec.help, errors)}"${flag('aria-invalid="true"', errors.length > 0)}>
    <label for="${id}">${spec.label}</label>
    ${helpText(spec.name, spec.help)}
    ${errorText(spec.name, errors)}
  </div>`;
}

/** Radio buttons in a fieldset, for a setting with a few named values. */
export function choice(
  state: FieldState,
  spec: FieldSpec & { value: string; options: readonly { value: string; label: string }[] },
): Html {
  const errors = state.errors.get(spec.name) ?? [];
  const current = shown(state, spec.name, spec.value);
  const id = fieldId(spec.name);
  return html`<fieldset class="field${errors.length > 0 ? ' invalid' : ''}" aria-describedby="${describedBy(spec.name, spec.help, errors)}">
    <legend>${spec.label}</legend>
    ${spec.options.map(
      (option) =>
        html`<label class="option"><input type="radio" name="${spec.name}" value="${option.value}"${flag(
          'checked',
          option.value === current,
        )} data-controls="${id}">${option.label}</label>`,
    )}
    ${helpText(spec.name, spec.help)}
    ${errorText(spec.name, errors)}
  </fieldset>`;
}

/** A select box. */
export function selectField(
  state: FieldState,
  spec: FieldSpec & { value: string; options: readonly { value: string; label: string }[] },
): Html {
  const errors = state.errors.get(spec.name) ?? [];
  const id = fieldId(spec.name);
  const current = shown(state, spec.name, spec.value);
  return html`<div class="field${errors.length > 0 ? ' invalid' : ''}">
    <label for="${id}">${spec.label}</label>
    <select id="${id}" name="${spec.name}" aria-describedby="${describedBy(spec.name, spec.help, errors)}"${flag('aria-invalid="true"', errors.length > 0)}>
      ${spec.options.map(
        (option) =>
          html`<option value="${option.value}"${flag('selected', option.value === current)}>${option.label}</option>`,
      )}
    </select>
    ${helpText(spec.name, spec.help)}
    ${errorText(spec.name, errors)}
  </div>`;
}

/** Several check boxes of one name (ids of staff, of client categories). */
export function checkList(
  state: FieldState,
  spec: FieldSpec & {
    selected: readonly string[];
    options: readonly { value: string; label: string }[];
    empty: string;
  },
): Html {
  const errors = state.errors.get(spec.name) ?? [];
  const selected = state.form?.has(`${spec.name}.present`) ? state.form.all(spec.name) : spec.selected;
  return html`<fieldset class="field${errors.length > 0 ? ' invalid' : ''}" aria-describedby="${describedBy(spec.name, spec.help, errors)}">
    <legend>${spec.label}</legend>
    <input type="hidden" name="${spec.name}.present" value="1">
    ${
      spec.options.length === 0
        ? html`<p class="empty">${spec.empty}</p>`
        : spec.options.map(
            (option) =>
              html`<label class="option"><input type="checkbox" name="${spec.name}" value="${option.value}"${flag(
                'checked',
                selected.includes(option.value),
              )}>${option.label}</label>`,
          )
    }
    ${helpText(spec.name, spec.help)}
    ${errorText(spec.name, errors)}
  </fieldset>`;
}

/** Problems grouped by the field that shows them; those no field claims go to `rest`. */
export function placeProblems(
  problems: readonly SettingsProblemView[],
  fieldFor: (path: string) => string | undefined,
): { errors: Map<string, string[]>; rest: string[] } {
  const errors = new Map<string, string[]>();
  const rest: string[] = [];
  for (const problem of problems) {
    const name = fieldFor(problem.path);
    if (name === undefined) {
      rest.push(problem.path ? `${problem.path}: ${problem.message}` : problem.message);
      continue;
    }
    errors.set(name, [...(errors.get(name) ?? []), problem.message]);
  }
  return { errors, rest };
}
