/** Dialogues: the active ones, and each one's statechart drawn from its machine's definition. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AnyStateMachine } from 'xstate';
import { bookingMachine } from '../../../machines/booking/index.js';
import { feedbackMachine } from '../../../machines/feedback/index.js';
import { reminderMachine } from '../../../machines/reminder/index.js';
import { BOOKING, FEEDBACK, REMINDER } from '../../dialogues/machines.js';
import { maskPhone } from '../../domain/phone.js';
import { type DialogueView, flattenStateValue, toDialogueView } from '../../http/admin-api.js';
import { html, raw } from '../html.js';
import { renderPage } from '../layout.js';
import type { PageRoutes } from '../page-routes.js';
import { statechartSvg } from '../statechart.js';
import { when } from './format.js';

const MACHINES: Record<string, AnyStateMachine> = {
  [BOOKING]: bookingMachine,
  [REMINDER]: reminderMachine,
  [FEEDBACK]: feedbackMachine,
};

/** A WhatsApp chat id is the client's number (`7916…@c.us`): shown masked when no phone was linked. */
function dialoguePhone(view: DialogueView): string {
  if (view.phone) return view.phone;
  return view.channel === 'whatsapp' && view.chatId ? maskPhone(view.chatId) : '—';
}

export function registerDialoguePages(app: FastifyInstance, deps: PageRoutes): void {
  const context = (request: FastifyRequest, reply: FastifyReply) =>
    deps.contextOf(request, reply, deps.sessionOf(request));

  app.get('/console/dialogues', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const active = await deps.store.dialogues.list({ status: 'active' });
    const dialogues = await Promise.all(active.map((d) => toDialogueView(deps.store, d)));
    const body = html`${
      deps.inspectorUrl
        ? html`<p><a href="${deps.inspectorUrl}" target="_blank" rel="noopener">${t('dialogues.inspector')}</a></p>`
        : html`<p class="help">${t('dialogues.inspectorOff')}</p>`
    }
    ${
      dialogues.length === 0
        ? html`<p class="empty">${t('dialogues.none')}</p>`
        : html`<table><caption>${t('dialogues.active')}</caption>
          <thead><tr><th scope="col">${t('dialogues.machine')}</th><th scope="col">${t('dialogues.state')}</th><th scope="col">${t('dialogues.channel')}</th><th scope="col">${t('common.phone')}</th><th scope="col">${t('common.record')}</th><th scope="col">${t('dialogues.nextDeadline')}</th><th scope="col">${t('dialogues.chart')}</th></tr></thead>
          <tbody>${dialogues.map(
            (d) => html`<tr>
              <td>${d.machine} v${d.version}</td><td><code>${d.state ?? '—'}</code></td><td>${d.channel ?? '—'}</td>
              <td>${dialoguePhone(d)}</td><td>${d.recordId ?? '—'}</td><td>${d.nextDeadline ? when(d.nextDeadline) : '—'}</td>
              <td><a href="/console/dialogues/${d.id}">${t('dialogues.showChart', { id: d.id })}</a></td>
            </tr>`,
          )}</tbody></table>`
    }`;
    return deps.send(reply, renderPage(ctx, { title: t('nav.dialogues'), current: 'dialogues', body }));
  });

  app.get('/console/dialogues/:id', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const id = Number((request.params as { id: string }).id);
    const dialogue = Number.isSafeInteger(id) ? await deps.store.dialogues.get(id) : undefined;
    if (!dialogue) {
      const body = html`<p>${t('dialogues.notFound', { id: String(id) })}</p>`;
      return deps.send(
        reply,
        renderPage(ctx, { title: t('nav.dialogues'), current: 'dialogues', body }),
        404,
      );
    }
    const view = await toDialogueView(deps.store, dialogue);
    const machine = MACHINES[dialogue.machineId];
    const snapshot = dialogue.snapshot as { value?: unknown } | null;
    const state = flattenStateValue(snapshot?.value ?? null);
    const chart = machine
      ? raw(
          await statechartSvg(
            machine,
            state,
            t('dialogues.chartTitle', { machine: dialogue.machineId, state: state ?? '—' }),
          ),
        )
      : html`<p>${t('dialogues.unknownMachine')}</p>`;
    const body = html`<dl class="facts">
        <dt>${t('dialogues.machine')}</dt><dd>${view.machine} v${view.version}</dd>
        <dt>${t('dialogues.state')}</dt><dd><code>${view.state ?? '—'}</code></dd>
        <dt>${t('dialogues.channel')}</dt><dd>${view.channel ?? '—'}</dd>
        <dt>${t('common.phone')}</dt><dd>${dialoguePhone(view)}</dd>
        <dt>${t('dialogues.nextDeadline')}</dt><dd>${view.nextDeadline ? when(view.nextDeadline) : '—'}</dd>
      </dl>
      ${deps.inspectorUrl ? html`<p><a href="${deps.inspectorUrl}" target="_blank" rel="noopener">${t('dialogues.inspector')}</a></p>` : ''}
      <figure class="chart">${chart}<figcaption>${t('dialogues.legend')}</figcaption></figure>`;
    return deps.send(
      reply,
      renderPage(ctx, { title: t('dialogues.chartPage', { id }), current: 'dialogues', body }),
    );
  });
}
