import { randomBytes } from 'node:crypto';
import type {
  ClientRow,
  Company,
  Label,
  RecordRow,
  SandboxData,
  Service,
  ServiceCategory,
  Staff,
} from './model.js';
import type { WeeklySchedule, WorkingHours } from './slots.js';
import { addDays, localDay, zonedInstant } from './time.js';

/**
 * The default seeded salon: a two-branch chain in different zones. Ids are fixed so that tests in
 * other modules can name them; dates are relative to the injected `now` so the data never goes
 * stale (records "tomorrow", birthdays "today").
 */
export const SEED_IDS = {
  group: 100,
  companies: { centre: 101, riverside: 102 },
  categories: { centreHair: 201, centreNails: 202, riversideFace: 203, riversideHair: 204 },
  services: {
    womensHaircut: 301,
    colouring: 302,
    mensHaircut: 303,
    manicure: 304,
    consultationOffline: 305,
    facial: 306,
    massage: 307,
    haircutStyling: 308,
    bodyWrap: 309,
  },
  staff: { anna: 1001, maria: 1002, olga: 1003, dmitryHidden: 1006, aigerim: 1004, daniyar: 1005 },
  labels: { vip: 401, noNotifications: 402, blacklist: 403, recordOnline: 411 },
  clients: { elena: 501, irina: 502, pavel: 503, svetlana: 504, aliya: 505, timur: 506 },
  records: {
    centreTomorrow: 601,
    centrePrepaid: 602,
    centreBlocked: 603,
    centreYesterday: 604,
    centreDeleted: 605,
    riversideTomorrow: 606,
  },
} as const;

const MOSCOW = 'Europe/Moscow';
const ALMATY = 'Asia/Almaty';

const h = (start: string, end: string): WorkingHours => ({ start, end });
const FULL: WorkingHours = h('10:00', '20:00');
/** Sunday first, like `Date#getDay`. */
const MON_SAT: WeeklySchedule = [null, FULL, FULL, FULL, FULL, FULL, FULL];
const WEDNESDAY_OFF: WeeklySchedule = [null, FULL, FULL, null, FULL, FULL, h('11:00', '18:00')];
const TUE_SUN: WeeklySchedule = [h('11:00', '17:00'), null, FULL, FULL, FULL, FULL, FULL];

function company(
  id: number,
  title: string,
  tz: string,
  offset: number,
  city: string,
  address: string,
): Company {
  return {
    id,
    title,
    public_title: title,
    short_descr: 'Beauty salon',
    active: 1,
    phone: id === 101 ? '+74951234567' : '+77272345678',
    phones: [],
    email: `branch${id}@beautylab.example`,
    site: 'https://beautylab.example',
    country_id: id === 101 ? 1 : 6,
    country: id === 101 ? 'Russia' : 'Kazakhstan',
    city_id: id === 101 ? 2 : 220,
    city,
    address,
    zip: id === 101 ? '125009' : '050000',
    coordinate_lat: id === 101 ? 55.7648 : 43.2389,
    coordinate_lon: id === 101 ? 37.6055 : 76.8897,
    timezone: offset,
    timezone_name: tz,
    currency_short_title: id === 101 ? 'RUB' : 'KZT',
    schedule: 'Mon–Sat 10:00–20:00',
    business_type_id: 1,
    description: '<p>Hair, nails and care.</p>',
    main_group_id: SEED_IDS.group,
    main_group: { id: SEED_IDS.group, title: 'Beauty Lab' },
    phone_confirmation: false,
    allow_change_record: true,
    allow_change_record_delay_step: 3600,
    allow_delete_record: true,
    allow_delete_record_delay_step: 7200,
    booking_comment_required: false,
    booking_email_required: false,
    bookform_id: id * 10 + 1,
  };
}

function category(id: number, companyId: number, title: string, weight: number): ServiceCategory {
  return { id, company_id: companyId, title, sex: 0, weight, api_id: '' };
}

interface ServiceSpec {
  id: number;
  companyId: number;
  categoryId: number;
  title: string;
  bookingTitle?: string;
  minutes: number;
  priceMin: number;
  priceMax?: number;
  staff: number[];
  offline?: boolean;
  weight: number;
}

function service(spec: ServiceSpec): Service {
  const duration = spec.minutes * 60;
  return {
    id: spec.id,
    company_id: spec.companyId,
    salon_service_id: spec.id + 10_000,
    category_id: spec.categoryId,
    title: spec.title,
    booking_title: spec.bookingTitle ?? spec.title,
    print_title: spec.title,
    service_type: spec.offline ? 0 : 1,
    // get_service: `active` is "1 - available for online booking" (the documented offline signal).
    active: spec.offline ? 0 : 1,
    is_online: !spec.offline,
    duration,
    price_min: spec.priceMin.toFixed(2),
    price_max: (spec.priceMax ?? spec.priceMin).toFixed(2),
    discount: 0,
    comment: '',
    weight: spec.weight,
    prepaid: 'forbidden',
    sex: 0,
    api_id: '',
    staff: spec.staff.map((id) => ({ id, seance_length: duration, technological_card_id: 0 })),
  };
}

function staff(
  id: number,
  companyId: number,
  name: string,
  specialization: string,
  schedule: WeeklySchedule,
  extra: Partial<Pick<Staff, 'hidden' | 'weight' | 'rating'>> = {},
): Staff {
  return {
    id,
    company_id: companyId,
    api_id: '',
    name,
    specialization,
    position: { id: 1, title: specialization },
    weight: extra.weight ?? 10,
    rating: extra.rating ?? 4.9,
    votes_count: 12,
    comments_count: 3,
    show_rating: 1,
    avatar: 'https://assets.alteg.io/general/0/01/avatar.png',
    avatar_big: 'https://assets.alteg.io/general/0/01/avatar_big.png',
    information: `<p>${specialization}</p>`,
    hidden: extra.hidden ?? 0,
    fired: 0,
    schedule,
  };
}

function labels(): Label[] {
  return [
    { id: SEED_IDS.labels.vip, title: 'VIP', color: '#f5a623', icon: 'star', entity: 1 },
    {
      id: SEED_IDS.labels.noNotifications,
      title: 'No notifications',
      color: '#9b9b9b',
      icon: 'bell-slash',
      entity: 1,
    },
    { id: SEED_IDS.labels.blacklist, title: 'Blacklist', color: '#d0021b', icon: 'ban', entity: 1 },
    { id: SEED_IDS.labels.recordOnline, title: 'Booked online', color: '#4a90e2', icon: 'globe', entity: 2 },
  ];
}

/** Same month and day as `day`, in a leap year so that a 29 February "today" stays valid. */
function birthdayOn(day: string, year: number): string {
  return `${year}${day.slice(4)}`;
}

function clients(now: Date): ClientRow[] {
  const msk = localDay(now, MOSCOW);
  const ala = localDay(now, ALMATY);
  const at = now.getTime() - 90 * 86_400_000;
  const base = {
    surname: '',
    patronymic: '',
    email: '',
    sexId: 2 as const,
    importanceId: 0 as const,
    card: '',
    comment: '',
    discount: 0,
    smsCheck: 1 as const,
    smsNot: 0 as const,
    spent: 0,
    visits: 0,
    createdAt: at,
    lastChange: at,
  };
  const c = SEED_IDS.clients;
  const v = SEED_IDS.labels;
  return [
    {
      ...base,
      id: c.elena,
      companyId: 101,
      name: 'Elena',
      surname: 'Sokolova',
      phone: '79161234567',
      email: 'elena@example.com',
      birthDate: birthdayOn(msk, 1988),
      categoryIds: [v.vip],
      importanceId: 3,
      spent: 42000,
      visits: 14,
    },
    {
      ...base,
      id: c.irina,
      companyId: 101,
      name: 'Irina',
      surname: 'Kuznetsova',
      phone: '79169876543',
      birthDate: birthdayOn(addDays(msk, 1), 1992),
      categoryIds: [],
      spent: 5000,
      visits: 2,
    },
    {
      ...base,
      id: c.pavel,
      companyId: 101,
      name: 'Pavel',
      surname: 'Orlov',
      phone: '79031112233',
      birthDate: '',
      categoryIds: [v.noNotifications],
      sexId: 1,
      smsCheck: 0,
      smsNot: 1,
    },
    {
      ...base,
      id: c.svetlana,
      companyId: 101,
      name: 'Svetlana',
      surname: 'Belova',
      phone: '79035556677',
      birthDate: '1979-11-03',
      categoryIds: [v.blacklist],
    },
    {
      ...base,
      id: c.aliya,
      companyId: 102,
      name: 'Aliya',
      surname: 'Bekova',
      phone: '77011234567',
      birthDate: birthdayOn(addDays(ala, 7), 1996),
      categoryIds: [v.vip],
      importanceId: 2,
      visits: 6,
    },
    {
      ...base,
      id: c.timur,
      companyId: 102,
      name: 'Timur',
      surname: 'Akhmetov',
      phone: '77017654321',
      birthDate: '1990-07-15',
      categoryIds: [],
      sexId: 1,
    },
  ];
}

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

function records(now: Date): RecordRow[] {
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

/** A fresh copy of the default salon around `now` (each call returns new objects). */
export function createSeed(now: Date): SandboxData {
  const C = SEED_IDS.companies;
  const K = SEED_IDS.categories;
  const S = SEED_IDS.staff;
  const V = SEED_IDS.services;
  return {
    companies: [
      company(C.centre, 'Beauty Lab Centre', MOSCOW, 3, 'Moscow', 'Tverskaya st. 12'),
      company(C.riverside, 'Beauty Lab Riverside', ALMATY, 5, 'Almaty', 'Dostyk ave. 38'),
    ],
    categories: [
      category(K.centreHair, C.centre, 'Hair', 20),
      category(K.centreNails, C.centre, 'Nails', 10),
      category(K.riversideFace, C.riverside, 'Face & body', 20),
      category(K.riversideHair, C.riverside, 'Hair', 10),
    ],
    services: [
      service({
        id: V.womensHaircut,
        companyId: C.centre,
        categoryId: K.centreHair,
        title: "Women's haircut",
        minutes: 60,
        priceMin: 2500,
        priceMax: 3500,
        staff: [S.anna, S.maria],
        weight: 50,
      }),
      service({
        id: V.colouring,
        companyId: C.centre,
        categoryId: K.centreHair,
        title: 'Colouring 1 tone + care (internal)',
        bookingTitle: 'Hair colouring',
        minutes: 120,
        priceMin: 6000,
        priceMax: 9000,
        staff: [S.anna],
        weight: 40,
      }),
      service({
        id: V.mensHaircut,
        companyId: C.centre,
        categoryId: K.centreHair,
        title: "Men's haircut",
        minutes: 30,
        priceMin: 1500,
        staff: [S.maria, S.dmitryHidden],
        weight: 30,
      }),
      service({
        id: V.manicure,
        companyId: C.centre,
        categoryId: K.centreNails,
        title: 'Gel manicure',
        minutes: 90,
        priceMin: 2200,
        priceMax: 2800,
        staff: [S.olga],
        weight: 20,
      }),
      service({
        id: V.consultationOffline,
        companyId: C.centre,
        categoryId: K.centreHair,
        title: 'Colour consultation (in salon only)',
        minutes: 30,
        priceMin: 0,
        staff: [S.anna],
        offline: true,
        weight: 10,
      }),
      service({
        id: V.facial,
        companyId: C.riverside,
        categoryId: K.riversideFace,
        title: 'Classic facial',
        minutes: 60,
        priceMin: 15000,
        staff: [S.aigerim],
        weight: 40,
      }),
      service({
        id: V.massage,
        companyId: C.riverside,
        categoryId: K.riversideFace,
        title: 'Relax massage',
        minutes: 45,
        priceMin: 12000,
        priceMax: 14000,
        staff: [S.aigerim, S.daniyar],
        weight: 30,
      }),
      service({
        id: V.haircutStyling,
        companyId: C.riverside,
        categoryId: K.riversideHair,
        title: 'Haircut & styling',
        minutes: 75,
        priceMin: 9000,
        staff: [S.daniyar],
        weight: 20,
      }),
      service({
        id: V.bodyWrap,
        companyId: C.riverside,
        categoryId: K.riversideFace,
        title: 'Body wrap',
        minutes: 90,
        priceMin: 18000,
        staff: [S.aigerim],
        weight: 10,
      }),
    ],
    staff: [
      staff(S.anna, C.centre, 'Anna Petrova', 'Senior stylist', MON_SAT, { weight: 30, rating: 5 }),
      staff(S.maria, C.centre, 'Maria Ivanova', 'Stylist', WEDNESDAY_OFF, { weight: 20 }),
      staff(S.olga, C.centre, 'Olga Smirnova', 'Nail artist', MON_SAT, { weight: 10 }),
      staff(S.dmitryHidden, C.centre, 'Dmitry Volkov', 'Trainee barber', MON_SAT, { hidden: 1, weight: 0 }),
      staff(S.aigerim, C.riverside, 'Aigerim Nurlanova', 'Cosmetologist', MON_SAT, { weight: 20 }),
      staff(S.daniyar, C.riverside, 'Daniyar Seitkali', 'Stylist & massage therapist', TUE_SUN, {
        weight: 10,
      }),
    ],
    labels: labels(),
    clients: clients(now),
    records: records(now),
  };
}
