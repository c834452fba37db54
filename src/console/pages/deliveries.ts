/** Deliveries: every notification decision with its reason, found by phone or record id. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizePhone } from '../../domain/phone.js';
import type { Delivery } from '../../store/index.js';
import { type Html, html } from '../html.js';
import { type PageContext, renderPage } from '../layout.js';
import type { PageRoutes } from '../page-routes.js';
import { masked, when } from './format.js';

function deliveryRow(context: PageContext, delivery: Delivery): Html {
  const { t } = context;
  return html`<tr class="decision-${delivery.decision}">
    <td>${when(delivery.createdAt)}</td>
    <td>${delivery.recordId ?? '—'}</td>
    <td>${masked(delivery.clientPhone)}</td>
    <td>${t(`templates.kinds.${delivery.kind}`)}</td>
    <td>${t(`deliveries.decisions.${delivery.decision}`)}</td>
    <td>${delivery.channel ?? '—'}</td>
    <td>${delivery.reason}</td>
  </tr>`;
}

export function registerDeliveryPages(app: FastifyInstance, deps: PageRoutes): void {
  const context = (request: FastifyRequest, reply: FastifyReply) =>
    deps.contextOf(request, reply, deps.sessionOf(request));

  app.get('/console/deliveries', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const q = ((request.query as { q?: string }).q ?? '').trim();
    let list: Delivery[];
    let problem = '';
    if (q === '') list = await deps.store.deliveries.recent();
    else if (/^\d{1,9}$/.test(q)) list = await deps.store.deliveries.byRecord(Number(q));
    else {
      const phone = normalizePhone(q);
      if (phone) list = await deps.store.deliveries.byPhone(phone);
      else {
        list = [];
        problem = t('deliveries.badQuery');
      }
    }
    const body = html`<form method="get" action="/console/deliveries" class="search" role="search">
        <div class="field${problem ? ' invalid' : ''}">
          <label for="q">${t('deliveries.search')}</label>
          <input id="q" name="q" type="search" value="${q}" aria-describedby="q-help${problem ? ' q-error' : ''}"${problem ? html` aria-invalid="true"` : ''}>
          <p class="help" id="q-help">${t('deliveries.searchHelp')}</p>
          ${problem ? html`<p class="error" id="q-error" role="alert">${problem}</p>` : ''}
        </div>
        <button type="submit">${t('deliveries.find')}</button>
      </form>
      <p role="status">${q === '' ? t('deliveries.recent') : t('deliveries.found', { count: list.length })}</p>
      ${
        list.length === 0
          ? ''
          : html`<table><caption>${t('nav.deliveries')}</caption>
            <thead><tr><th scope="col">${t('common.created')}</th><th scope="col">${t('common.record')}</th><th scope="col">${t('common.phone')}</th><th scope="col">${t('deliveries.kind')}</th><th scope="col">${t('deliveries.decision')}</th><th scope="col">${t('dialogues.channel')}</th><th scope="col">${t('deliveries.reason')}</th></tr></thead>
            <tbody>${list.map((d) => deliveryRow(ctx, d))}</tbody></table>`
      }`;
    return deps.send(reply, renderPage(ctx, { title: t('nav.deliveries'), current: 'deliveries', body }));
  });
}
