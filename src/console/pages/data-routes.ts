/** Tasks, dialogues (with statecharts) and the delivery log: what the admin API lists, to look at. */
import type { FastifyInstance } from 'fastify';
import type { AnyStateMachine } from 'xstate';
import { bookingMachine } from '../../../machines/booking/index.js';
import { feedbackMachine } from '../../../machines/feedback/index.js';
import { reminderMachine } from '../../../machines/reminder/index.js';
import { BOOKING, FEEDBACK, REMINDER } from '../../dialogues/machines.js';
import { maskPhone, normalizePhone } from '../../domain/phone.js';
import { type DialogueView, flattenStateValue, toDialogueView } from '../../http/admin-api.js';
import type { Delivery, Task } from '../../store/index.js';
import { type Html, html, raw } from '../html.js';
import type { PageRoutes } from '../index.js';
import { type PageContext, renderPage } from '../layout.js';
import { statechartSvg } from '../statechart.js';

const MACHINES: Record<string, AnyStateMachine> = {
  [BOOKING]: bookingMachine,
  [REMINDER]: reminderMachine,
  [FEEDBACK]: feedbackMachine,
};

const when = (ms: number | string | null): string =>
  ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
const masked = (phone: string | null): string => (phone ? maskPhone(phone) : '—');

/** A WhatsApp chat id is the client's number (`7916…@c.us`): shown masked when no phone was linked. */
function dialoguePhone(view: DialogueView): string {
  if (view.phone) return view.phone;
  return view.channel === 'whatsapp' && view.chatId ? maskPhone(view.chatId) : '—';
}

function taskRow(context: PageContext, task: Task): Html {
  const { t } = context;
  return html`<tr id="task-${task.id}">
    <td id="task-${task.id}-title">${task.title}</td>
    <td>${t(`tasks.kinds.${task.kind}`)}</td>
    <td>${task.recordId}</td>
    <td>${task.companyId}</td>
    <td>${masked(task.clientPhone)}</td>
    <td>${task.rating ?? ''}${task.comment ? html` <q>${task.comment}</q>` : ''}</td>
    <td>${when(task.createdAt)}</td>
    <td>${
      task.done
        ? html`<span class="done">${t('tasks.done')}</span>`
        : html`<form method="post" action="/console/tasks/${task.id}/done" hx-post="/console/tasks/${task.id}/done" hx-target="#task-${task.id}" hx-swap="outerHTML">
            <input type="hidden" name="_csrf" value="${context.csrf ?? ''}">
            <button type="submit" aria-describedby="task-${task.id}-title">${t('tasks.markDone')}</button>
          </form>`
    }</td>
  </tr>`;
}

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

export function registerDataPages(app: FastifyInstance, deps: PageRoutes): void {
  const context = (request: Parameters<PageRoutes['guard']>[0], reply: Parameters<PageRoutes['guard']>[1]) =>
    deps.contextOf(request, reply, deps.sessionOf(request));

  app.get('/console/tasks', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const done = (request.query as { done?: string }).done === 'true';
    const tasks = deps.store.tasks.list({ done });
    const body = html`<nav class="tabs" aria-label="${t('tasks.filter')}">
        <a href="/console/tasks"${done ? '' : html` aria-current="page"`}>${t('tasks.open')}</a>
        <a href="/console/tasks?done=true"${done ? html` aria-current="page"` : ''}>${t('tasks.doneTab')}</a>
      </nav>
      ${
        tasks.length === 0
          ? html`<p class="empty">${done ? t('tasks.noneDone') : t('tasks.noneOpen')}</p>`
          : html`<table><caption>${done ? t('tasks.doneTab') : t('tasks.open')}</caption>
            <thead><tr><th scope="col">${t('tasks.title')}</th><th scope="col">${t('tasks.kind')}</th><th scope="col">${t('common.record')}</th><th scope="col">${t('common.branch')}</th><th scope="col">${t('common.phone')}</th><th scope="col">${t('tasks.rating')}</th><th scope="col">${t('common.created')}</th><th scope="col">${t('tasks.state')}</th></tr></thead>
            <tbody>${tasks.map((task) => taskRow(ctx, task))}</tbody></table>`
      }`;
    return deps.send(reply, renderPage(ctx, { title: t('nav.tasks'), current: 'tasks', body }));
  });

  app.post('/console/tasks/:id/done', { preHandler: deps.guard }, async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const task = Number.isSafeInteger(id) ? deps.store.tasks.markDone(id, deps.clock.now()) : undefined;
    if (!task) return reply.code(404).type('text/plain').send(`no task ${id}`);
    request.log.info({ task: id }, 'task marked done in the console');
    if (request.headers['hx-request'] === 'true')
      return deps.send(reply, taskRow(context(request, reply), task));
    return reply.code(303).header('location', '/console/tasks').send();
  });

  app.get('/console/dialogues', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const dialogues = deps.store.dialogues
      .list({ status: 'active' })
      .map((d) => toDialogueView(deps.store, d));
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
    const dialogue = Number.isSafeInteger(id) ? deps.store.dialogues.get(id) : undefined;
    if (!dialogue) {
      const body = html`<p>${t('dialogues.notFound', { id: String(id) })}</p>`;
      return deps.send(
        reply,
        renderPage(ctx, { title: t('nav.dialogues'), current: 'dialogues', body }),
        404,
      );
    }
    const view = toDialogueView(deps.store, dialogue);
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

  app.get('/console/deliveries', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const q = ((request.query as { q?: string }).q ?? '').trim();
    let list: Delivery[];
    let problem = '';
    if (q === '') list = deps.store.deliveries.recent();
    else if (/^\d{1,9}$/.test(q)) list = deps.store.deliveries.byRecord(Number(q));
    else {
      const phone = normalizePhone(q);
      if (phone) list = deps.store.deliveries.byPhone(phone);
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
