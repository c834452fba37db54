import type { ClientRow, Company, Label, RecordRow, Service, ServiceCategory, Staff } from './model.js';
import type { SandboxState } from './state.js';
import { altegioStamp, isoWithOffset, localDateTime } from './time.js';

/**
 * Entities as Altegio puts them on the wire. Shapes follow Altegio's REST API, including
 * its inconsistencies on purpose (prices as strings, record client `birthday` vs client
 * resource `birth_date`, phones as numbers in search results) so the client is tested against them.
 */

export function renderCompany(company: Company, withBookforms = false): Record<string, unknown> {
  const { bookform_id: bookformId, ...fields } = company;
  return {
    ...fields,
    active_staff_count: 0,
    group_priority: 1,
    social: { facebook: '', instagram: 'beautylab', telegram: '', whatsapp: '', viber: '' },
    reminds_sms_disabled: false,
    ...(withBookforms
      ? {
          bookforms: [
            {
              id: bookformId,
              title: 'Online booking',
              is_default: 1,
              url: `https://n${bookformId}.alteg.io/`,
            },
          ],
        }
      : {}),
  };
}

export function renderCategory(category: ServiceCategory): Record<string, unknown> {
  const { company_id: _company, ...fields } = category;
  return { ...fields, salon_service_id: category.id + 10_000 };
}

/** B2B service: internal `title` and the online `booking_title` side by side. */
export function renderService(service: Service): Record<string, unknown> {
  const { company_id: _company, ...fields } = service;
  return { ...fields, image_group: [], is_multi: false, capacity: 1, technical_break_duration: null };
}

/**
 * `book_services` item. Whether Altegio sends `title` or `booking_title` here is unconfirmed; the
 * sandbox sends `booking_title`, which is what a client sees in the widget.
 */
export function renderBookService(service: Service, lengthSec?: number): Record<string, unknown> {
  return {
    id: service.id,
    title: service.booking_title,
    category_id: service.category_id,
    weight: service.weight,
    price_min: service.price_min,
    price_max: service.price_max,
    discount: service.discount,
    comment: service.comment,
    active: service.active,
    prepaid: service.prepaid,
    sex: service.sex,
    image: '',
    ...(lengthSec !== undefined ? { seance_length: lengthSec } : {}),
  };
}

export function renderStaff(staff: Staff): Record<string, unknown> {
  const { schedule: _schedule, company_id: _company, ...fields } = staff;
  return { ...fields, status: 0, user_id: 0, has_access_timetable: true, image_group: [] };
}

export function renderBookStaff(
  staff: Staff,
  bookable: boolean,
  seanceDate: string | null,
): Record<string, unknown> {
  return {
    id: staff.id,
    api_id: staff.api_id,
    name: staff.name,
    specialization: staff.specialization,
    position: staff.position,
    bookable,
    weight: staff.weight,
    show_rating: staff.show_rating,
    rating: staff.rating,
    votes_count: staff.votes_count,
    comments_count: staff.comments_count,
    avatar: staff.avatar,
    information: staff.information,
    seance_date: seanceDate,
    seances: [],
  };
}

export function renderLabel(label: Label, companyId: number): Record<string, unknown> {
  return { ...label, salon_id: companyId, deleted: false, not_editable: false };
}

function categoriesOf(
  state: SandboxState,
  client: ClientRow,
): Array<{ id: number; title: string; color: string }> {
  return client.categoryIds.flatMap((id) => {
    const label = state.data.labels.find((l) => l.id === id);
    return label ? [{ id: label.id, title: label.title, color: label.color }] : [];
  });
}

const SEX = ['Unknown', 'Male', 'Female'] as const;
const IMPORTANCE = ['No importance class', 'Bronze', 'Silver', 'Gold'] as const;

/** Who the client is: the fields the client resource and a record's embedded client share. */
function clientIdentity(client: ClientRow): Record<string, unknown> {
  return {
    id: client.id,
    name: client.name,
    surname: client.surname,
    patronymic: client.patronymic,
    display_name: [client.name, client.surname].filter(Boolean).join(' '),
    phone: `+${client.phone}`,
    email: client.email,
  };
}

/** The client resource (`GET /client`, `GET /clients`). */
export function renderClient(state: SandboxState, client: ClientRow): Record<string, unknown> {
  const tz = state.company(client.companyId).timezone_name;
  return {
    ...clientIdentity(client),
    categories: categoriesOf(state, client),
    sex_id: client.sexId,
    sex: SEX[client.sexId],
    discount: client.discount,
    importance_id: client.importanceId,
    importance: IMPORTANCE[client.importanceId],
    card: client.card,
    birth_date: client.birthDate,
    comment: client.comment,
    sms_check: client.smsCheck,
    sms_not: client.smsNot,
    spent: client.spent,
    balance: 0,
    visits: client.visits,
    last_change_date: altegioStamp(client.lastChange, tz),
    custom_fields: {},
  };
}

/** The `client` object embedded in a record; note `birthday`, not `birth_date`. */
function renderRecordClient(state: SandboxState, client: ClientRow): Record<string, unknown> {
  return {
    ...clientIdentity(client),
    card: client.card,
    comment: client.comment,
    success_visits_count: client.visits,
    fail_visits_count: 0,
    discount: client.discount,
    sex: client.sexId,
    birthday: client.birthDate,
    custom_fields: [],
    client_tags: categoriesOf(state, client),
  };
}

/** The record object of `GET /record`, list items and webhook `data`. */
export function renderRecord(state: SandboxState, row: RecordRow): Record<string, unknown> {
  const company = state.company(row.companyId);
  const tz = company.timezone_name;
  const staff = state.staff(row.companyId, row.staffId);
  const client = row.clientId === null ? undefined : state.client(row.clientId);
  return {
    id: row.id,
    company_id: row.companyId,
    staff_id: row.staffId,
    services: row.services.map((item) => ({
      id: item.id,
      title: state.service(row.companyId, item.id)?.title ?? '',
      cost: item.cost,
      cost_to_pay: item.cost,
      manual_cost: item.cost,
      cost_per_unit: item.cost,
      discount: item.discount,
      first_cost: item.firstCost,
      amount: item.amount,
    })),
    goods_transactions: [],
    staff: staff
      ? {
          id: staff.id,
          api_id: staff.api_id,
          name: staff.name,
          specialization: staff.specialization,
          position: staff.position,
          avatar: staff.avatar,
          avatar_big: staff.avatar_big,
          rating: staff.rating,
          votes_count: staff.votes_count,
        }
      : null,
    client: client ? renderRecordClient(state, client) : null,
    comer: null,
    clients_count: client ? 1 : 0,
    date: localDateTime(row.start, tz),
    datetime: isoWithOffset(row.start, tz),
    create_date: altegioStamp(row.createdAt, tz),
    comment: row.comment,
    online: row.online,
    visit_attendance: row.attendance,
    attendance: row.attendance,
    confirmed: row.confirmed,
    seance_length: row.lengthSec,
    length: row.lengthSec,
    sms_before: 0,
    sms_now: 0,
    sms_now_text: '',
    email_now: 0,
    notified: 0,
    master_request: row.masterRequest,
    api_id: row.apiId,
    from_url: '',
    review_requested: 0,
    visit_id: row.visitId,
    created_user_id: row.online ? 0 : 1,
    deleted: row.deleted,
    // get_appointment_list: paid_full 1 = paid in full; prepaid = online payment available; prepaid_confirmed = it went through.
    paid_full: row.paidFull,
    prepaid: row.prepaid,
    prepaid_confirmed: row.prepaidConfirmed,
    is_update_blocked: false,
    activity_id: 0,
    bookform_id: row.bookformId,
    record_from: row.online ? 'online' : '',
    is_mobile: 0,
    short_link: `https://sandbox.alteg.invalid/r/${row.id}/${row.hash}`,
    last_change_date: altegioStamp(row.lastChange, tz),
    custom_color: row.customColor,
    custom_font_color: '',
    record_labels: row.recordLabels.flatMap((id) => {
      const label = state.data.labels.find((l) => l.id === id);
      return label
        ? [{ id: label.id, title: label.title, color: label.color, icon: label.icon, font_color: '#ffffff' }]
        : [];
    }),
    sms_remain_hours: row.smsRemainHours,
    email_remain_hours: row.emailRemainHours,
    custom_fields: row.customFields,
    documents: [],
    composite: false,
  };
}
