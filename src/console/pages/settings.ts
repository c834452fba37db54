/** "Settings – Altegio": the seed's subsections in its order, each its own form. */
import type { SettingsHolder } from '../../config/settings-holder.js';
import { type ChangeLogger, changeSettings } from '../../http/change-settings.js';
import type { Store } from '../../store/index.js';
import { type AltegioData, loadBranches } from '../altegio-data.js';
import { type FieldState, placeProblems } from '../fields.js';
import type { FormFields } from '../form.js';
import { type Html, html } from '../html.js';
import { type PageContext, renderPage, SETTINGS_SECTIONS, type SettingsSection } from '../layout.js';
import { birthdaysSection, chatbotSection, feedbackSection, recordsSection } from '../settings-basic.js';
import { branchesSection, categoriesSection } from '../settings-branches.js';
import { tasksSection, variablesSection } from '../settings-more.js';
import type { Section, SectionData } from '../settings-section.js';

const SECTIONS: Record<SettingsSection, Section> = {
  chatbot: chatbotSection,
  records: recordsSection,
  feedback: feedbackSection,
  birthdays: birthdaysSection,
  branches: branchesSection,
  categories: categoriesSection,
  variables: variablesSection,
  tasks: tasksSection,
};

export function isSection(value: string): value is SettingsSection {
  return (SETTINGS_SECTIONS as readonly string[]).includes(value);
}

interface SectionOutcome {
  state: FieldState;
  /** Shown in the section's status line after a save. */
  saved?: boolean;
  /** After a refused save: how many problems, and those no field of the section shows. */
  refused?: { count: number; unplaced: string[] };
  conflict?: boolean;
}

function renderSection(
  context: PageContext,
  section: Section,
  data: SectionData,
  version: string,
  outcome: SectionOutcome,
): Html {
  const { t } = context;
  const id = section.id;
  const action = `/console/settings/${id}`;
  const { refused } = outcome;
  const failed = refused !== undefined || outcome.conflict === true;
  return html`<section id="${id}" class="settings-section" aria-labelledby="${id}-title">
    <h2 id="${id}-title">${t(`settings.${id}.title`)}</h2>
    <p class="intro">${t(`settings.${id}.intro`)}</p>
    <form method="post" action="${action}" hx-post="${action}" hx-target="#${id}" hx-swap="outerHTML" novalidate>
      <input type="hidden" name="_csrf" value="${context.csrf ?? ''}">
      <input type="hidden" name="_version" id="version-${id}" value="${version}">
      ${section.render(context, data, outcome.state)}
      <div class="outcome">
        ${outcome.saved ? html`<p class="saved" role="status">${t('settings.saved')}</p>` : ''}
        ${
          failed
            ? html`<div class="problems" role="alert">
                <p>${outcome.conflict ? t('settings.conflict') : t('settings.notSaved', { count: refused?.count ?? 0 })}</p>
                ${refused && refused.unplaced.length > 0 ? html`<ul>${refused.unplaced.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
              </div>`
            : ''
        }
      </div>
      <button type="submit">${t('settings.save')}</button>
    </form>
  </section>`;
}

/** The other sections' version fields, refreshed out of band after a save so their next save is not a false conflict. */
function versionUpdates(except: SettingsSection, version: string): Html {
  return html`${SETTINGS_SECTIONS.filter((id) => id !== except).map(
    (id) =>
      html`<input type="hidden" name="_version" id="version-${id}" value="${version}" hx-swap-oob="true">`,
  )}`;
}

export interface SettingsPageDeps {
  holder: SettingsHolder;
  altegio: AltegioData;
  logger: ChangeLogger;
  store: Pick<Store, 'syncs'>;
}

async function sectionData(deps: SettingsPageDeps): Promise<SectionData> {
  const settings = deps.holder.get();
  return {
    settings,
    branches: await loadBranches(
      deps.altegio,
      settings.branches.map((b) => b.id),
    ),
    syncs: await deps.store.syncs.all(),
  };
}

function page(context: PageContext, body: Html): Html {
  return renderPage(context, { title: context.t('nav.settings'), current: 'settings', body });
}

export async function settingsPage(
  context: PageContext,
  deps: SettingsPageDeps,
  outcomes: Partial<Record<SettingsSection, SectionOutcome>> = {},
): Promise<Html> {
  const data = await sectionData(deps);
  const version = deps.holder.version();
  return page(
    context,
    html`<p class="intro">${context.t('settings.intro')}</p>
    ${SETTINGS_SECTIONS.map((id) =>
      renderSection(context, SECTIONS[id], data, version, outcomes[id] ?? { state: { errors: new Map() } }),
    )}`,
  );
}

/**
 * A subsection's save: its form becomes a partial document that goes through `changeSettings`,
 * exactly as a `PUT /api/settings` body would. Answers the section again (htmx swaps it in) or,
 * for a browser without scripts, the whole page.
 */
export async function saveSection(
  context: PageContext,
  deps: SettingsPageDeps,
  id: SettingsSection,
  form: FormFields,
  fragment: boolean,
): Promise<Html> {
  const section = SECTIONS[id];
  const before = await sectionData(deps);
  const change = section.read(form, before);
  const result = await changeSettings(deps.holder, change.partial, {
    expectedVersion: form.get('_version'),
    logger: deps.logger,
    source: 'console',
  });
  let outcome: SectionOutcome;
  if (result.ok) outcome = { state: { errors: new Map() }, saved: true };
  else if (result.status === 409) outcome = { state: { errors: new Map() }, conflict: true };
  else {
    const problems = result.problems ?? [{ path: '', message: result.error, value: undefined }];
    const placed = placeProblems(problems, change.fieldFor);
    outcome = {
      state: { form, errors: placed.errors },
      refused: { count: problems.length, unplaced: placed.rest },
    };
  }
  if (!fragment) return settingsPage(context, deps, { [id]: outcome });
  const data = result.ok ? await sectionData(deps) : { ...before, settings: deps.holder.get() };
  const version = deps.holder.version();
  return html`${renderSection(context, section, data, version, outcome)}${versionUpdates(id, version)}`;
}
