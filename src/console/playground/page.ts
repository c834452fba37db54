/**
 * The playground's HTML, rendered on the server inside the console's frame: the whole page, and
 * each chat message as a fragment that the page's small script inserts when the server sends
 * it. Everything from outside (bot text, button labels) is escaped by `html`; phones are shown
 * masked, as in the logs.
 */
import { formatInTimeZone } from 'date-fns-tz';
import type { WebChatEntry, WebChatStyle } from '../../channels/web.js';
import { maskPhone, maskPhonesIn } from '../../domain/phone.js';
import { type Html, html } from '../html.js';
import type { ConsoleT } from '../i18n.js';
import { type PageContext, renderPage } from '../layout.js';

/** The two panes, in the order they are shown, with their short names used in URLs. */
export const PANES: ReadonlyArray<{ pane: PaneName; style: WebChatStyle }> = [
  { pane: 'tg', style: 'telegram' },
  { pane: 'wa', style: 'whatsapp' },
];
export type PaneName = 'tg' | 'wa';

export const PLAYGROUND_ASSETS = '/playground/assets';

/** The playground's link in the console's sidebar (a key of `console.json`). */
export const PLAYGROUND_NAV = { id: 'playground', href: '/playground', label: 'nav.playground' } as const;

/** One chat message as the panes show it. */
export function renderEntry(pane: PaneName, entry: WebChatEntry, t: ConsoleT, timeZone: string): Html {
  const who = entry.from === 'bot' ? t('playground.botSaid') : t('playground.youSaid');
  const classes = ['msg', entry.from, entry.pressed ? 'pressed' : ''].filter(Boolean).join(' ');
  const at = new Date(entry.at).toISOString();
  const buttons = (entry.buttons ?? []).map(
    (label, index) =>
      html`<button type="button" class="choice" data-entry="${entry.id}" data-index="${index}">${maskPhonesIn(label)}</button>`,
  );
  if (entry.askContact) {
    buttons.push(
      html`<button type="button" class="choice contact" data-contact="1">${t('playground.sharePhone')}</button>`,
    );
  }
  return html`<li class="${classes}" id="${pane}-${entry.id}" data-id="${entry.id}"><span class="sr-only">${who}: </span><p class="text">${maskPhonesIn(entry.text)}</p>${buttons.length > 0 ? html`<div class="buttons">${buttons}</div>` : ''}<time datetime="${at}">${formatInTimeZone(entry.at, timeZone, 'HH:mm')}</time></li>`;
}

export interface PlaygroundPageInput {
  csrf: string;
  phone: string;
  name: string;
  reminderLeadSeconds: number;
  /** Which pane gets notifications (the first of `general.channelPriority`). */
  notifiedPane: PaneName;
  /** The project time zone (`general.timezone`): messages show their time in it. */
  timeZone: string;
  history: Record<PaneName, readonly WebChatEntry[]>;
}

function paneSection(pane: PaneName, style: WebChatStyle, input: PlaygroundPageInput, t: ConsoleT): Html {
  const title = t(`playground.${style}.title`);
  return html`
  <section class="pane ${pane}${input.notifiedPane === pane ? ' notified' : ''}" aria-labelledby="${pane}-title" data-pane="${pane}">
    <header>
      <h2 id="${pane}-title">${title}</h2>
      <p>${t(`playground.${style}.hint`)}</p>
    </header>
    <ol class="log" id="${pane}-log" aria-live="polite" aria-label="${title}">${input.history[pane].map((entry) => renderEntry(pane, entry, t, input.timeZone))}</ol>
    <form class="compose" data-pane="${pane}">
      <button type="button" class="book" data-book="1">${t('playground.book')}</button>
      <label class="sr-only" for="${pane}-text">${t('playground.message')}</label>
      <input id="${pane}-text" name="text" autocomplete="off" placeholder="${t('playground.message')}" maxlength="500">
      <button type="submit">${t('playground.send')}</button>
    </form>
  </section>`;
}

/** The whole page, in the console's frame (sidebar and language links). */
export function renderPlaygroundPage(context: PageContext, input: PlaygroundPageInput): Html {
  const { t } = context;
  const notified = t(input.notifiedPane === 'tg' ? 'playground.telegram.title' : 'playground.whatsapp.title');
  const who = t('playground.you', { name: input.name, phone: maskPhone(input.phone) });
  return renderPage(
    // The console's session is not the playground's: no sign-out form with a foreign token.
    { ...context, csrf: undefined },
    {
      title: t('playground.title'),
      current: 'playground',
      body: html`<link rel="stylesheet" href="${PLAYGROUND_ASSETS}/playground.css">
    <script src="${PLAYGROUND_ASSETS}/playground.js" defer></script>
    <div id="playground" data-csrf="${input.csrf}" data-lang="${context.language}">
    <p class="intro">${t('playground.intro')}</p>
    <p class="who">${who} <button type="button" class="linklike" data-control="new-client">${t('playground.newClient')}</button></p>
    <div class="layout">
      <div class="panes" role="group" aria-label="${t('playground.panes')}">${PANES.map(({ pane, style }) => paneSection(pane, style, input, t))}
      </div>
      <aside class="controls" aria-labelledby="controls-title">
        <h2 id="controls-title">${t('playground.controls.title')}</h2>
        <button type="button" data-control="reminder">${t('playground.controls.reminder', { seconds: input.reminderLeadSeconds })}</button>
        <button type="button" data-control="came">${t('playground.controls.came')}</button>
        <button type="button" data-control="birthday">${t('playground.controls.birthday')}</button>
        <button type="button" data-control="birthday-now" hidden>${t('playground.controls.birthdayNow')}</button>
        <p id="status" role="status" aria-live="polite"></p>
        <p class="note">${t('playground.notificationsGo', { pane: notified })}</p>
        <p id="offline" class="offline" role="alert" hidden>${t('playground.offline')}</p>
      </aside>
    </div>
    </div>`,
    },
  );
}

/** What the playground answers a request it does not serve, in the console's frame. */
export function renderRefusal(context: PageContext, message: string): Html {
  return renderPage(
    { ...context, csrf: undefined },
    {
      title: context.t('playground.title'),
      current: 'playground',
      body: html`<p role="alert">${message}</p>`,
    },
  );
}
