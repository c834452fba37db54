import { describe, expect, it } from 'vitest';
import { parseWebhook, webhookDedupeKey } from '../../src/altegio/webhooks.js';
import { fixture } from './fixtures/test-server.js';

describe('parseWebhook', () => {
  it('parses a record update into the neutral Record', () => {
    const result = parseWebhook(fixture('webhook-record.json'));
    expect(result.ok).toBe(true);
    if (!result.ok || result.event.kind !== 'record') throw new Error('expected a record event');
    const { event } = result;
    expect(event).toMatchObject({ companyId: 42, resource: 'record', resourceId: 9001, status: 'update' });
    expect(event.record).toMatchObject({
      id: 9001,
      companyId: 42,
      staffId: 11,
      staff: { id: 11, name: 'Anna' },
      client: { id: 501, name: 'Maria', phone: '79161234567', birthday: null },
      datetime: '2026-03-14T10:00:00+03:00',
      date: '2026-03-14 10:00:00',
      seanceLength: 3600,
      attendance: 1,
      visitAttendance: 1,
      deleted: false,
      paid: true, // paid_full === 1
      comment: '',
      customColor: 'f44336',
      visitId: 7001,
      online: false,
      apiId: null,
    });
    expect(event.record.startsAt).toBe(Date.parse('2026-03-14T07:00:00Z'));
    expect(event.record.lastChangeDate).toBe(Date.parse('2026-03-02T06:15:00Z')); // +0300 read correctly
    expect(event.record.createDate).toBe(Date.parse('2026-03-01T09:30:00Z'));
  });

  it('tolerates strings for numbers, a null client and unix datetimes', () => {
    const body = {
      company_id: '42',
      resource: 'record',
      resource_id: '77',
      status: 'create',
      data: {
        id: '77',
        staff_id: '11',
        client: null,
        datetime: 1773475200,
        seance_length: '1800',
        attendance: '0',
        prepaid: 0,
        prepaid_confirmed: true,
        extra_field_from_the_future: { a: 1 },
      },
    };
    const result = parseWebhook(body);
    if (!result.ok || result.event.kind !== 'record') throw new Error(result.ok ? 'kind' : result.reason);
    expect(result.event.record).toMatchObject({
      id: 77,
      companyId: 42,
      client: null,
      seanceLength: 1800,
      paid: true, // prepaid_confirmed
      startsAt: 1773475200000,
    });
  });

  it('marks a record deleted on status delete', () => {
    const body = fixture('webhook-record.json') as Record<string, unknown>;
    const result = parseWebhook({ ...body, status: 'delete' });
    if (!result.ok || result.event.kind !== 'record') throw new Error('expected a record event');
    expect(result.event.record.deleted).toBe(true);
  });

  it('parses a client webhook', () => {
    const result = parseWebhook(fixture('webhook-client.json'));
    if (!result.ok || result.event.kind !== 'client') throw new Error('expected a client event');
    expect(result.event.client).toMatchObject({
      id: 501,
      phone: '79161234567',
      birthDate: '1990-05-17',
      birthdayGreetings: true,
      noMailings: false,
      categories: [{ id: 4, title: 'Regular', color: '#00ff00' }],
    });
  });

  it('flags reference resources for cache invalidation and tolerates unknown ones', () => {
    const service = parseWebhook({
      company_id: 42,
      resource: 'service',
      resource_id: 7,
      status: 'update',
      data: {},
    });
    expect(service).toMatchObject({ ok: true, event: { kind: 'reference', resource: 'service' } });
    const finance = parseWebhook({
      company_id: 42,
      resource: 'finances_operation',
      resource_id: 5,
      status: 'create',
      data: { id: 5, amount: '100.00' },
    });
    expect(finance).toMatchObject({ ok: true, event: { kind: 'unknown', resource: 'finances_operation' } });
  });

  it.each([
    [{}, /company_id/],
    [{ company_id: 42, resource: 'record', resource_id: 1, status: 'moved', data: {} }, /status/],
    [
      { company_id: 42, resource: 'record', resource_id: 1, status: 'update', data: { datetime: 'x' } },
      /data\.id/,
    ],
    [
      { company_id: 42, resource: 'record', resource_id: 1, status: 'update', data: { id: 1 } },
      /data\.datetime/,
    ],
    ['not json object', /body|expected object/],
  ])('rejects a malformed body with a reason naming the field (%#)', (body, reason) => {
    const result = parseWebhook(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('webhookDedupeKey', () => {
  it('joins company, resource, id, status and last_change_date', () => {
    const result = parseWebhook(fixture('webhook-record.json'));
    if (!result.ok) throw new Error(result.reason);
    expect(webhookDedupeKey(result.event)).toBe('42:record:9001:update:2026-03-02T09:15:00+0300');
  });

  it('differs when the change differs and matches for a redelivery', () => {
    const body = fixture('webhook-record.json') as { data: Record<string, unknown> };
    const again = parseWebhook(structuredClone(body));
    const later = parseWebhook({
      ...body,
      data: { ...body.data, last_change_date: '2026-03-02T10:00:00+0300' },
    });
    const first = parseWebhook(body);
    if (!first.ok || !again.ok || !later.ok) throw new Error('parse failed');
    expect(webhookDedupeKey(again.event)).toBe(webhookDedupeKey(first.event));
    expect(webhookDedupeKey(later.event)).not.toBe(webhookDedupeKey(first.event));
  });
});
