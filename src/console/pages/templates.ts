/** Templates: one card per notification template, with a live preview by the engine's renderer. */
import type { FastifyInstance } from 'fastify';
import { LANGUAGES, type Settings, TEMPLATE_KINDS, type Template } from '../../domain/settings.js';
import { changeSettings } from '../../http/change-settings.js';
import { firstBranch } from '../altegio-data.js';
import {
  checkbox,
  type FieldState,
  fieldId,
  placeProblems,
  selectField,
  shown,
  textField,
} from '../fields.js';
import type { FormFields } from '../form.js';
import { flag, type Html, html } from '../html.js';
import { type PageContext, renderPage } from '../layout.js';
import type { PageRoutes } from '../page-routes.js';
import { previewTemplate, type SampleBranch } from '../sample.js';
import { bool, last } from '../settings-section.js';

const field = (index: number, name: string) => `template.${index}.${name}`;

function previewHtml(
  context: PageContext,
  settings: Settings,
  template: Template,
  branch: SampleBranch | undefined,
  now: number,
): Html {
  const { t } = context;
  const preview = previewTemplate(settings, template, branch, now);
  return html`<p class="preview-text">${preview.text}</p>
    ${
      preview.unknown.length > 0
        ? html`<p class="unknown" role="status">${t('templates.unknown')} ${preview.unknown.map(
            (name) => html`<mark>{{${name}}}</mark> `,
          )}</p>`
        : ''
    }`;
}

/** A template as written in the card (what the preview and the save both read). */
function templateFrom(form: FormFields, index: number): Record<string, unknown> {
  const kind = last(form, field(index, 'kind'));
  const language = last(form, field(index, 'language'));
  const offset = last(form, field(index, 'offset')).trim();
  return {
    kind,
    text: last(form, field(index, 'text')),
    ...(language === '' ? {} : { language }),
    ...(kind === 'reminder' ? { offset: offset === '' ? '24h' : offset } : {}),
    enabled: bool(form, field(index, 'enabled')),
  };
}

function card(
  context: PageContext,
  settings: Settings,
  template: Template,
  index: number,
  state: FieldState,
  branch: SampleBranch | undefined,
  now: number,
): Html {
  const { t } = context;
  const textName = field(index, 'text');
  const errors = state.errors.get(textName) ?? [];
  const languageOptions = [
    {
      value: '',
      label: t('templates.languageDefault', { language: t(`languages.${settings.variables.language}`) }),
    },
    ...LANGUAGES.map((lng) => ({ value: lng, label: t(`languages.${lng}`) })),
  ];
  return html`<article class="card template" id="template-${index}" aria-labelledby="template-${index}-title">
    <h2 id="template-${index}-title">${t(`templates.kinds.${template.kind}`)}</h2>
    <input type="hidden" name="card" value="${index}">
    <input type="hidden" name="${field(index, 'kind')}" value="${template.kind}">
    ${checkbox(state, { name: field(index, 'enabled'), label: t('templates.enabled'), checked: template.enabled })}
    ${selectField(state, { name: field(index, 'language'), label: t('templates.language'), value: template.language ?? '', options: languageOptions })}
    ${
      template.kind === 'reminder'
        ? textField(state, {
            name: field(index, 'offset'),
            label: t('templates.offset.label'),
            help: t('templates.offset.help'),
            value: template.offset ?? '24h',
          })
        : ''
    }
    <div class="field${errors.length > 0 ? ' invalid' : ''}">
      <label for="${fieldId(textName)}">${t('templates.text')}</label>
      <textarea id="${fieldId(textName)}" name="${textName}" rows="4"
        hx-post="/console/templates/preview" hx-trigger="input changed delay:200ms" hx-target="#preview-${index}"
        hx-include="#template-${index}" hx-vals='{"preview":"${index}"}'
        aria-describedby="${fieldId(textName)}-help${errors.length > 0 ? html` ${fieldId(textName)}-error` : ''} preview-${index}"${flag('aria-invalid="true"', errors.length > 0)}>${shown(state, textName, template.text)}</textarea>
      <p class="help" id="${fieldId(textName)}-help">${t('templates.variablesHelp')}</p>
      ${errors.length > 0 ? html`<p class="error" id="${fieldId(textName)}-error">${errors.join('; ')}</p>` : ''}
    </div>
    <section class="preview" aria-label="${t('templates.preview')}">
      <h3>${t('templates.preview')}</h3>
      <div id="preview-${index}" aria-live="polite">${previewHtml(context, settings, template, branch, now)}</div>
    </section>
  </article>`;
}

function templatesBody(
  context: PageContext,
  settings: Settings,
  version: string,
  state: FieldState,
  outcome: { saved?: boolean; refused?: { count: number; unplaced: string[] }; conflict?: boolean },
  branch: SampleBranch | undefined,
  now: number,
): Html {
  const { t } = context;
  const list = state.form
    ? state.form.all('card').map((i) => {
        const index = Number(i);
        const written = templateFrom(state.form as FormFields, index);
        const kind = TEMPLATE_KINDS.find((k) => k === written.kind) ?? 'new-record';
        return { kind, text: String(written.text ?? ''), enabled: true } as Template;
      })
    : settings.templates;
  return html`<form id="templates-form" method="post" action="/console/templates" hx-post="/console/templates" hx-target="#templates-form" hx-swap="outerHTML" novalidate>
    <input type="hidden" name="_csrf" value="${context.csrf ?? ''}">
    <input type="hidden" name="_version" value="${version}">
    <p class="intro">${t('templates.intro')}</p>
    <div class="cards">${list.map((template, index) => card(context, settings, template, index, state, branch, now))}</div>
    <div class="outcome">
      ${outcome.saved ? html`<p class="saved" role="status">${t('settings.saved')}</p>` : ''}
      ${outcome.conflict ? html`<div class="problems" role="alert"><p>${t('settings.conflict')}</p></div>` : ''}
      ${
        outcome.refused
          ? html`<div class="problems" role="alert"><p>${t('settings.notSaved', { count: outcome.refused.count })}</p>
              ${outcome.refused.unplaced.length > 0 ? html`<ul>${outcome.refused.unplaced.map((p) => html`<li>${p}</li>`)}</ul>` : ''}</div>`
          : ''
      }
    </div>
    <button type="submit">${t('templates.save')}</button>
  </form>`;
}

export function registerTemplatePages(app: FastifyInstance, deps: PageRoutes): void {
  const sampleBranch = async (settings: Settings): Promise<SampleBranch | undefined> => {
    return firstBranch(
      deps.altegio,
      settings.branches.map((b) => b.id),
    );
  };
  const page = (context: PageContext, body: Html) =>
    renderPage(context, { title: context.t('nav.templates'), current: 'templates', body });

  app.get('/console/templates', { preHandler: deps.guard }, async (request, reply) => {
    const context = deps.contextOf(request, reply, deps.sessionOf(request));
    const settings = deps.settings.get();
    const body = templatesBody(
      context,
      settings,
      deps.settings.version(),
      { errors: new Map() },
      {},
      await sampleBranch(settings),
      deps.clock.now(),
    );
    return deps.send(reply, page(context, body));
  });

  // The preview is drawn while typing: nothing is saved, the card's fields are only rendered.
  app.post('/console/templates/preview', { preHandler: deps.guard }, async (request, reply) => {
    const context = deps.contextOf(request, reply, deps.sessionOf(request));
    const form = deps.formOf(request);
    const written = templateFrom(form, Number(form.get('preview') ?? 0));
    const settings = deps.settings.get();
    const kind = TEMPLATE_KINDS.find((k) => k === written.kind) ?? 'new-record';
    const language = LANGUAGES.find((l) => l === written.language);
    const template: Template = {
      kind,
      text: String(written.text),
      enabled: true,
      ...(language ? { language } : {}),
    };
    return deps.send(
      reply,
      previewHtml(context, settings, template, await sampleBranch(settings), deps.clock.now()),
    );
  });

  app.post('/console/templates', { preHandler: deps.guard }, async (request, reply) => {
    const context = deps.contextOf(request, reply, deps.sessionOf(request));
    const form = deps.formOf(request);
    const cards = form.all('card').map(Number);
    const templates = cards.map((index) => templateFrom(form, index));
    const result = await changeSettings(
      deps.settings,
      { templates },
      {
        expectedVersion: form.get('_version'),
        logger: request.log,
        source: 'console',
      },
    );
    const settings = deps.settings.get();
    const branch = await sampleBranch(settings);
    let body: Html;
    if (result.ok || result.status === 409) {
      body = templatesBody(
        context,
        settings,
        deps.settings.version(),
        { errors: new Map() },
        result.ok ? { saved: true } : { conflict: true },
        branch,
        deps.clock.now(),
      );
    } else {
      const problems = result.problems ?? [{ path: '', message: result.error, value: undefined }];
      const placed = placeProblems(problems, (path) => {
        const match = /^templates\[(\d+)\]\.(text|offset|language|enabled)/.exec(path);
        const index = match ? cards[Number(match[1])] : undefined;
        return match && index !== undefined ? field(index, match[2] ?? 'text') : undefined;
      });
      body = templatesBody(
        context,
        settings,
        deps.settings.version(),
        { form, errors: placed.errors },
        { refused: { count: problems.length, unplaced: placed.rest } },
        branch,
        deps.clock.now(),
      );
    }
    return deps.send(reply, request.headers['hx-request'] === 'true' ? body : page(context, body));
  });
}
