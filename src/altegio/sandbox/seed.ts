import type { Company, SandboxData, Service, ServiceCategory, Staff } from './model.js';
import { clients, labels } from './seed-clients.js';
import { ALMATY, MOSCOW, SEED_IDS } from './seed-ids.js';
import { records } from './seed-records.js';
import type { WeeklySchedule, WorkingHours } from './slots.js';

export { SEED_IDS } from './seed-ids.js';

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
