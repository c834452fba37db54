import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SandboxControl } from './control.js';
import { ok, parseWith } from './envelope.js';
import {
  attendanceSchema,
  createRecord,
  patchRecord,
  recordCreateSchema,
  recordPatchSchema,
} from './records.js';
import { paramId } from './request.js';
import type { SandboxState } from './state.js';
import { renderClient, renderCompany, renderRecord, renderService, renderStaff } from './views.js';
import type { WebhookSender } from './webhooks.js';

/**
 * `/__sandbox/...`: the control calls over HTTP, so that a human can play the salon
 * administrator with curl (confirm, move, cancel a visit) and watch the bot react to webhooks.
 * No token: the sandbox listens on loopback by default and holds no real data.
 */

export interface RequestLogEntry {
  method: string;
  path: string;
  at: number;
  status: number;
}

const ids = (params: unknown): [number, number] => [
  paramId(params, 'company_id'),
  paramId(params, 'record_id'),
];

export function registerControlRoutes(
  app: FastifyInstance,
  deps: {
    state: SandboxState;
    control: SandboxControl;
    webhooks: WebhookSender;
    requests: RequestLogEntry[];
  },
): void {
  const { state, control, webhooks, requests } = deps;

  app.get('/__sandbox/state', async () =>
    ok({
      now: state.now().toISOString(),
      webhook_url: webhooks.getUrl() ?? null,
      companies: state.data.companies.map((c) => renderCompany(c)),
      services: state.data.services.map(renderService),
      staff: state.data.staff.map((s) => ({
        ...renderStaff(s),
        company_id: s.company_id,
        schedule: s.schedule,
      })),
      clients: state.data.clients.map((c) => ({ ...renderClient(state, c), company_id: c.companyId })),
      records: state.data.records.map((r) => renderRecord(state, r)),
    }),
  );

  app.get('/__sandbox/requests', async () => ok(requests));

  app.put('/__sandbox/webhook', async (request) => {
    const body = parseWith(z.object({ url: z.url().nullable() }), request.body);
    webhooks.setUrl(body.url ?? undefined);
    return ok({ webhook_url: body.url });
  });

  app.post('/__sandbox/records/:company_id', async (request, reply: FastifyReply) => {
    const company = state.company(paramId(request.params, 'company_id'));
    const row = createRecord(state, company, parseWith(recordCreateSchema, request.body));
    return reply.code(201).send(ok(renderRecord(state, row)));
  });

  app.patch('/__sandbox/records/:company_id/:record_id', async (request) => {
    const [cid, rid] = ids(request.params);
    const row = state.requireRecord(cid, rid);
    return ok(renderRecord(state, patchRecord(state, row, parseWith(recordPatchSchema, request.body))));
  });

  app.post('/__sandbox/records/:company_id/:record_id/attendance', async (request) => {
    const [cid, rid] = ids(request.params);
    const body = parseWith(z.object({ attendance: attendanceSchema }), request.body);
    return ok(control.setAttendance(cid, rid, body.attendance));
  });

  app.post('/__sandbox/records/:company_id/:record_id/move', async (request) => {
    const [cid, rid] = ids(request.params);
    const body = parseWith(
      z.object({ datetime: z.string().min(1), staff_id: z.number().int().optional() }),
      request.body,
    );
    return ok(control.moveRecord(cid, rid, body.datetime, body.staff_id));
  });

  app.post('/__sandbox/records/:company_id/:record_id/pay', async (request) => {
    const [cid, rid] = ids(request.params);
    return ok(control.markPaid(cid, rid));
  });

  app.delete('/__sandbox/records/:company_id/:record_id', async (request, reply: FastifyReply) => {
    const [cid, rid] = ids(request.params);
    control.deleteRecord(cid, rid);
    return reply.code(204).send();
  });
}
