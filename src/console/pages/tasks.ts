/** Tasks: open and done, and marking one done, as `POST /api/tasks/:id/done` does. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Task } from '../../store/index.js';
import { type Html, html } from '../html.js';
import { type PageContext, renderPage } from '../layout.js';
import type { PageRoutes } from '../page-routes.js';
import { masked, when } from './format.js';

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

export function registerTaskPages(app: FastifyInstance, deps: PageRoutes): void {
  const context = (request: FastifyRequest, reply: FastifyReply) =>
    deps.contextOf(request, reply, deps.sessionOf(request));

  app.get('/console/tasks', { preHandler: deps.guard }, async (request, reply) => {
    const ctx = context(request, reply);
    const { t } = ctx;
    const done = (request.query as { done?: string }).done === 'true';
    const tasks = await deps.store.tasks.list({ done });
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
    const task = Number.isSafeInteger(id) ? await deps.store.tasks.markDone(id, deps.clock.now()) : undefined;
    if (!task) return reply.code(404).type('text/plain').send(`no task ${id}`);
    request.log.info({ task: id }, 'task marked done in the console');
    if (request.headers['hx-request'] === 'true')
      return deps.send(reply, taskRow(context(request, reply), task));
    return reply.code(303).header('location', '/console/tasks').send();
  });
}
