/**
 * Altegio webhook payloads: `{company_id, resource, resource_id, status, data}` POSTed per change.
 * Parsing never throws: the HTTP edge answers 400 with `reason` for a malformed body and 200 for
 * anything it can store — including resources we do not act on, so Altegio does not keep resending
 * them. Record and client data go through the same tolerant schemas as REST answers.
 */
import { z } from 'zod';
import { zId, zStr } from './coerce.js';
import { type AltegioRecord, type ClientCard, ClientSchema, RecordSchema } from './schemas.js';

/** What happened to the resource. */
export type WebhookStatus = 'create' | 'update' | 'delete';

/** Resources whose change means our cached reference data is stale. */
export type ReferenceResource = 'company' | 'service' | 'service_category' | 'staff';

const REFERENCE_RESOURCES: readonly string[] = ['company', 'service', 'service_category', 'staff'];

interface EventBase {
  companyId: number;
  resourceId: number;
  status: WebhookStatus;
  /** `data.last_change_date` exactly as sent (dedupe key material), or `null`. */
  lastChangeRaw: string | null;
}

/** A parsed webhook. */
export type WebhookEvent =
  | (EventBase & { kind: 'record'; resource: 'record'; record: AltegioRecord })
  | (EventBase & { kind: 'client'; resource: 'client'; client: ClientCard })
  | (EventBase & { kind: 'reference'; resource: ReferenceResource })
  | (EventBase & { kind: 'unknown'; resource: string });

/** Outcome of {@link parseWebhook}. */
export type WebhookParseResult = { ok: true; event: WebhookEvent } | { ok: false; reason: string };

const EnvelopeSchema = z.object({
  company_id: zId,
  resource: z.string().min(1),
  resource_id: zId,
  status: z.enum(['create', 'update', 'delete']),
  data: z.unknown(),
});

function describe(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}: invalid`;
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return `${path || 'body'}: ${issue.message}`;
}

function lastChangeRaw(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const value = zStr.parse((data as { last_change_date?: unknown }).last_change_date);
  return value === '' ? null : value;
}

/** Parses a webhook body; `reason` names the offending field (e.g. `data.id: Invalid input…`). */
export function parseWebhook(body: unknown): WebhookParseResult {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, reason: describe(envelope.error, '') };
  const { company_id: companyId, resource, resource_id: resourceId, status, data } = envelope.data;
  const base: EventBase = { companyId, resourceId, status, lastChangeRaw: lastChangeRaw(data) };

  if (resource === 'record') {
    // A record webhook may omit company_id inside data; the envelope knows the branch.
    const withCompany =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? { company_id: companyId, ...(data as Record<string, unknown>) }
        : data;
    const record = RecordSchema.safeParse(withCompany);
    if (!record.success) return { ok: false, reason: describe(record.error, 'data') };
    const parsed = record.data.companyId ? record.data : { ...record.data, companyId };
    // On delete Altegio sends the last state; make "deleted" explicit either way.
    const event = status === 'delete' ? { ...parsed, deleted: true } : parsed;
    return { ok: true, event: { ...base, kind: 'record', resource, record: event } };
  }
  if (resource === 'client') {
    const client = ClientSchema.safeParse(data);
    if (!client.success) return { ok: false, reason: describe(client.error, 'data') };
    return { ok: true, event: { ...base, kind: 'client', resource, client: client.data } };
  }
  if (REFERENCE_RESOURCES.includes(resource)) {
    return { ok: true, event: { ...base, kind: 'reference', resource: resource as ReferenceResource } };
  }
  return { ok: true, event: { ...base, kind: 'unknown', resource } };
}

/**
 * Key under which a delivery is stored once: Altegio may deliver the same change more than once,
 * while a real new change carries a new `last_change_date`.
 */
export function webhookDedupeKey(
  event: Pick<EventBase, 'companyId' | 'resourceId' | 'status' | 'lastChangeRaw'> & { resource: string },
): string {
  return [event.companyId, event.resource, event.resourceId, event.status, event.lastChangeRaw ?? ''].join(
    ':',
  );
}
