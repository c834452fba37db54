import type { Language } from '../domain/settings.js';
import { type Html, html } from './html.js';
import type { ConsoleT } from './i18n.js';

/** One link of the left-hand sidebar. `label` is a key of `console.json`. */
export interface NavItem {
  id: string;
  href: string;
  label: string;
  /** Links below it, e.g. the settings page's subsections. */
  children?: readonly NavItem[];
}

/** Everything a page needs to be drawn inside the console's frame. */
export interface PageContext {
  t: ConsoleT;
  language: Language;
  /** The signed-in session's CSRF token; absent on pages shown without signing in. */
  csrf?: string | undefined;
  /** The sidebar: the console's pages plus whatever other modules add (the playground). */
  nav: readonly NavItem[];
  /** The path of the page, for the language links. */
  path: string;
}

export const ASSETS = '/console/assets';

function navList(context: PageContext, items: readonly NavItem[], current: string): Html {
  return html`<ul>
    ${items.map(
      (item) => html`<li>
        <a href="${item.href}"${item.id === current ? html` aria-current="page"` : ''}>${context.t(item.label)}</a>
        ${item.children ? navList(context, item.children, current) : ''}
      </li>`,
    )}
  </ul>`;
}

function languageLinks(context: PageContext): Html {
  const languages: Language[] = ['en', 'ru', 'uk'];
  const separator = context.path.includes('?') ? '&' : '?';
  return html`<nav class="languages" aria-label="${context.t('layout.language')}">
    ${languages.map(
      (lng) =>
        html`<a href="${context.path}${separator}lang=${lng}" lang="${lng}"${lng === context.language ? html` aria-current="true"` : ''}>${lng.toUpperCase()}</a>`,
    )}
  </nav>`;
}

/**
 * The frame of every console page: sidebar, language links, sign-out, and the scripts. htmx sends
 * the CSRF token with every request it makes through the `hx-headers` on `<body>`.
 */
export function renderPage(context: PageContext, page: { title: string; current: string; body: Html }): Html {
  const { t } = context;
  return html`<!doctype html>
<html lang="${context.language}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}'>
  <title>${page.title} · altegio-bot</title>
  <link rel="stylesheet" href="${ASSETS}/console.css">
  <script src="${ASSETS}/htmx.min.js" defer></script>
  <script src="${ASSETS}/console.js" defer></script>
</head>
<body${context.csrf ? html` hx-headers='{"X-CSRF-Token":"${context.csrf}"}'` : ''}>
  <a class="skip" href="#main">${t('layout.skip')}</a>
  <aside class="sidebar">
    <p class="brand">altegio-bot</p>
    <nav aria-label="${t('layout.sections')}">${navList(context, context.nav, page.current)}</nav>
    ${languageLinks(context)}
    ${
      context.csrf
        ? html`<form method="post" action="/console/sign-out" class="sign-out">
            <input type="hidden" name="_csrf" value="${context.csrf}">
            <button type="submit">${t('layout.signOut')}</button>
          </form>`
        : ''
    }
  </aside>
  <main id="main" tabindex="-1">
    <h1>${page.title}</h1>
    ${page.body}
  </main>
</body>
</html>`;
}

/** The console's own pages, in sidebar order; the settings page lists the seed's subsections. */
export const SETTINGS_SECTIONS = [
  'chatbot',
  'records',
  'feedback',
  'birthdays',
  'branches',
  'categories',
  'variables',
  'tasks',
] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export const CONSOLE_NAV: readonly NavItem[] = [
  {
    id: 'settings',
    href: '/console/settings',
    label: 'nav.settings',
    children: SETTINGS_SECTIONS.map((section) => ({
      id: `settings-${section}`,
      href: `/console/settings#${section}`,
      label: `settings.${section}.title`,
    })),
  },
  { id: 'templates', href: '/console/templates', label: 'nav.templates' },
  { id: 'tasks', href: '/console/tasks', label: 'nav.tasks' },
  { id: 'dialogues', href: '/console/dialogues', label: 'nav.dialogues' },
  { id: 'deliveries', href: '/console/deliveries', label: 'nav.deliveries' },
];
