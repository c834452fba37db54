import { randomBytes } from 'node:crypto';
import type { RecordRow } from './model.js';
import { ALMATY, MOSCOW, SEED_IDS } from './seed-ids.js';
import { addDays, localDay, zonedInstant } from './time.js';

/** The seeded salon's records, dated relative to `now` ("tomorrow", "yesterday"). */
interface RecordSpec {
  id: number;
  companyId: number;
  tz: string;
  staffId: number;
  serviceId: number;
  minutes: number;
  price: number;
  clientId: number | null;
  day: string;
  time: string;
  extra?: Partial<RecordRow>;
}

function record(spec: RecordSpec, createdAt: number): RecordRow {
  return {
    id: spec.id,
    companyId: spec.companyId,
    staffId: spec.staffId,
    services: [{ id: spec.serviceId, firstCost: spec.price, discount: 0, cost: spec.price, amount: 1 }],
    clientId: spec.clientId,
    start: zonedInstant(spec.day, spec.time, spec.tz).getTime(),
    lengthSec: spec.minutes * 60,
    createdAt,
    lastChange: createdAt,
    comment: '',
    apiId: '',
    attendance: 0,
    confirmed: 1,
    deleted: false,
    online: false,
    masterRequest: 1,
    visitId: spec.id + 100,
    paidFull: 0,
    prepaid: false,
    prepaidConfirmed: false,
    customColor: '',
    recordLabels: [],
    bookformId: 0,
    hash: randomBytes(16).toString('hex'),
    smsRemainHours: 0,
    emailRemainHours: 0,
    customFields: {},
    ...spec.extra,
  };
}

export function records(now: Date): RecordRow[] {
  const msk = localDay(now, MOSCOW);
  const ala = localDay(now, ALMATY);
  const created = now.getTime() - 3 * 86_400_000;
  const r = SEED_IDS.records;
  const s = SEED_IDS.staff;
  const sv = SEED_IDS.services;
  const c = SEED_IDS.clients;
  const centre = { companyId: 101, tz: MOSCOW };
  return [
    // Plain upcoming visit: the reminder case, and a busy hour in Anna's tomorrow.
    record(
      {
        ...centre,
        id: r.centreTomorrow,
        staffId: s.anna,
        serviceId: sv.womensHaircut,
        minutes: 60,
        price: 3000,
        clientId: c.elena,
        day: addDays(msk, 1),
        time: '12:00',
      },
      created,
    ),
    // Paid online: notifications must not ask this client to pay or confirm again.
    record(
      {
        ...centre,
        id: r.centrePrepaid,
        staffId: s.maria,
        serviceId: sv.mensHaircut,
        minutes: 30,
        price: 1500,
        clientId: c.irina,
        day: addDays(msk, 2),
        time: '15:00',
        extra: {
          online: true,
          prepaid: true,
          prepaidConfirmed: true,
          paidFull: 1,
          bookformId: 1011,
          attendance: 2,
        },
      },
      created,
    ),
    // Admin block without a client: `client` is null on the wire.
    record(
      {
        ...centre,
        id: r.centreBlocked,
        staffId: s.anna,
        serviceId: sv.consultationOffline,
        minutes: 30,
        price: 0,
        clientId: null,
        day: addDays(msk, 1),
        time: '16:00',
        extra: { customColor: 'f44336' },
      },
      created,
    ),
    // Finished visit: the feedback-request case.
    record(
      {
        ...centre,
        id: r.centreYesterday,
        staffId: s.maria,
        serviceId: sv.womensHaircut,
        minutes: 60,
        price: 2500,
        clientId: c.elena,
        day: addDays(msk, -1),
        time: '11:00',
        extra: { attendance: 1 },
      },
      created,
    ),
    // Cancelled: only visible with `with_deleted=1`, frees its slot.
    record(
      {
        ...centre,
        id: r.centreDeleted,
        staffId: s.anna,
        serviceId: sv.womensHaircut,
        minutes: 60,
        price: 3000,
        clientId: c.pavel,
        day: addDays(msk, 1),
        time: '14:00',
        extra: { deleted: true },
      },
      created,
    ),
    record(
      {
        companyId: 102,
        tz: ALMATY,
        id: r.riversideTomorrow,
        staffId: s.aigerim,
        serviceId: sv.facial,
        minutes: 60,
        price: 15000,
        clientId: c.aliya,
        day: addDays(ala, 1),
        time: '11:00',
      },
      created,
    ),
  ];
}
