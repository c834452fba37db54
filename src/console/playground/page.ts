/**
 * The playground's HTML, rendered on the server: the whole page, and each chat message as a
 * fragment that the page's small script inserts when the server sends it. Every value from
 * outside (bot text, button labels) is escaped here; phones are shown masked, as in the logs.
 */
import type { TFunction } from 'i18next';
import type { WebChatEntry, WebChatStyle } from '../../channels/web.js';
import { maskPhone, normalizePhone } from '../../domain/phone.js';
import type { Language } from '../../domain/settings.js';
import { LANGUAGES } from './i18n.js';

/** The two panes, in the order they are shown, with their short names used in URLs. */
export const PANES: ReadonlyArray<{ pane: 'tg' | 'wa'; style: WebChatStyle }> = [
  { pane: 'tg', style: 'telegram' },
  { pane: 'wa', style: 'whatsapp' },
];
export type PaneName = 'tg' | 'wa';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Anything written like a phone number (`+79991234567`, `8 916 123-45-67`) → `+7***4567`. */
export function maskPhones(text: string): string {
  return text.replace(/\+?\d[\d\s()-]{8,}\d/g, (match) => (normalizePhone(match) ? maskPhone(match) : match));
}

/** One chat message as the panes show it. */
export function renderEntry(pane: PaneName, entry: WebChatEntry, t: TFunction): string {
  const who = entry.from === 'bot' ? t('botSaid') : t('youSaid');
  const classes = ['msg', entry.from, entry.pressed ? 'pressed' : ''].filter(Boolean).join(' ');
  const buttons = (entry.buttons ?? []).map(
    (label, index) =>
      `<button type="button" class="choice" data-entry="${entry.id}" data-index="${index}">${escapeHtml(maskPhones(label))}</button>`,
  );
  if (entry.askContact) {
    buttons.push(
      `<button type="button" class="choice contact" data-contact="1">📱 ${escapeHtml(t('sharePhone'))}</button>`,
    );
  }
  const time = new Date(entry.at).toISOString().slice(11, 16);
  return [
    `<li class="${classes}" id="${pane}-${entry.id}" data-id="${entry.id}">`,
    `<span class="sr-only">${escapeHtml(who)}: </span>`,
    `<p class="text">${escapeHtml(maskPhones(entry.text))}</p>`,
    buttons.length > 0 ? `<div class="buttons">${buttons.join('')}</div>` : '',
    `<time datetime="${new Date(entry.at).toISOString()}">${time}</time>`,
    '</li>',
  ].join('');
}

export interface PageInput {
  language: Language;
  t: TFunction;
  csrf: string;
  phone: string;
  name: string;
  reminderLeadSeconds: number;
  /** Which pane gets notifications (the first of `general.channelPriority`). */
  notifiedPane: PaneName;
  history: Record<PaneName, readonly WebChatEntry[]>;
}

function pane(pane: PaneName, input: PageInput): string {
  const { t } = input;
  const style = pane === 'tg' ? 'telegram' : 'whatsapp';
  const entries = input.history[pane];
  const notified = input.notifiedPane === pane ? ' notified' : '';
  return `
  <section class="pane ${pane}${notified}" aria-labelledby="${pane}-title" data-pane="${pane}">
    <header>
      <h2 id="${pane}-title">${escapeHtml(t(`${style}.title`))}</h2>
      <p>${escapeHtml(t(`${style}.hint`))}</p>
    </header>
    <ol class="log" id="${pane}-log" aria-live="polite" aria-label="${escapeHtml(t(`${style}.title`))}">
      ${entries.map((entry) => renderEntry(pane, entry, t)).join('\n      ')}
    </ol>
    <form class="compose" data-pane="${pane}">
      <button type="button" class="book" data-book="1">${escapeHtml(t('book'))}</button>
      <label class="sr-only" for="${pane}-text">${escapeHtml(t('message'))}</label>
      <input id="${pane}-text" name="text" autocomplete="off" placeholder="${escapeHtml(t('message'))}" maxlength="500">
      <button type="submit">${escapeHtml(t('send'))}</button>
    </form>
  </section>`;
}

/** The whole page. */
export function renderPage(input: PageInput): string {
  const { t, language } = input;
  const languages = LANGUAGES.map((code) =>
    code === language
      ? `<a aria-current="true" href="?lang=${code}">${code}</a>`
      : `<a href="?lang=${code}" hreflang="${code}">${code}</a>`,
  ).join(' ');
  const notifiedTitle = t(input.notifiedPane === 'tg' ? 'telegram.title' : 'whatsapp.title');
  return `<!doctype html>
<html lang="${language}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="csrf-token" content="${input.csrf}">
  <title>${escapeHtml(t('title'))} · altegio-bot</title>
  <link rel="stylesheet" href="/playground/assets/playground.css">
  <script src="/playground/assets/playground.js" defer></script>
</head>
<body data-lang="${language}">
  <header class="top">
    <h1>${escapeHtml(t('title'))}</h1>
    <nav aria-label="${escapeHtml(t('language'))}">${languages}</nav>
  </header>
  <main>
    <p class="intro">${escapeHtml(t('intro'))}</p>
    <p class="who">${escapeHtml(t('you', { name: input.name, phone: maskPhone(input.phone) }))}
      <button type="button" class="linklike" data-control="new-client">${escapeHtml(t('newClient'))}</button></p>
    <div class="layout">
      <div class="panes" role="group" aria-label="${escapeHtml(t('panes'))}">${pane('tg', input)}${pane('wa', input)}
      </div>
      <aside class="controls" aria-labelledby="controls-title">
        <h2 id="controls-title">${escapeHtml(t('controls.title'))}</h2>
        <button type="button" data-control="reminder">${escapeHtml(t('controls.reminder', { seconds: input.reminderLeadSeconds }))}</button>
        <button type="button" data-control="came">${escapeHtml(t('controls.came'))}</button>
        <button type="button" data-control="birthday">${escapeHtml(t('controls.birthday'))}</button>
        <button type="button" data-control="birthday-now" hidden>${escapeHtml(t('controls.birthdayNow'))}</button>
        <p id="status" role="status" aria-live="polite"></p>
        <p class="note">${escapeHtml(t('notificationsGo', { pane: notifiedTitle }))}</p>
        <p id="offline" class="offline" role="alert" hidden>${escapeHtml(t('offline'))}</p>
      </aside>
    </div>
  </main>
</body>
</html>
`;
}

/** A short page that only says why the playground is not open to this request. */
export function renderRefusal(language: Language, t: TFunction, message: string): string {
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(t('title'))} · altegio-bot</title>
<link rel="stylesheet" href="/playground/assets/playground.css"></head>
<body><main><h1>${escapeHtml(t('title'))}</h1><p role="alert">${escapeHtml(message)}</p></main></body></html>
`;
}
