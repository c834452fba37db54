import { type Html, html } from '../html.js';
import { type PageContext, renderPage } from '../layout.js';

export function signInPage(context: PageContext, options: { next: string; failed: boolean }): Html {
  const { t } = context;
  return renderPage(
    { ...context, csrf: undefined },
    {
      title: t('signIn.title'),
      current: 'sign-in',
      body: html`<form method="post" action="/console/sign-in" class="sign-in" novalidate>
        <input type="hidden" name="next" value="${options.next}">
        <div class="field${options.failed ? ' invalid' : ''}">
          <label for="token">${t('signIn.token')}</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-help${options.failed ? ' token-error' : ''}"${options.failed ? html` aria-invalid="true" autofocus` : html` autofocus`}>
          <p class="help" id="token-help">${t('signIn.help')}</p>
          ${options.failed ? html`<p class="error" id="token-error" role="alert">${t('signIn.wrong')}</p>` : ''}
        </div>
        <button type="submit">${t('signIn.submit')}</button>
      </form>`,
    },
  );
}

/** What `/` and every console page answer when `ADMIN_TOKEN` is not set. */
export function consoleOffPage(context: PageContext): Html {
  return renderPage(
    { ...context, csrf: undefined, nav: [] },
    { title: context.t('off.title'), current: 'off', body: html`<p>${context.t('off.text')}</p>` },
  );
}
