import type { WeeklySchedule } from './slots.js';

/**
 * What the sandbox keeps in memory. Static catalogue entities (branches, services, staff,
 * labels) are stored in Altegio's own field names so that rendering them is a copy; records and
 * clients change at run time and keep instants as numbers, rendered per branch zone on the way out.
 */

export interface Company {
  id: number;
  title: string;
  public_title: string;
  short_descr: string;
  active: number;
  phone: string;
  phones: string[];
  email: string;
  site: string;
  country_id: number;
  country: string;
  city_id: number;
  city: string;
  address: string;
  zip: string;
  coordinate_lat: number;
  coordinate_lon: number;
  /** Legacy zone value; Altegio samples make it unreliable, `timezone_name` is what counts. */
  timezone: number;
  timezone_name: string;
  currency_short_title: string;
  schedule: string;
  business_type_id: number;
  description: string;
  main_group_id: number;
  main_group: { id: number; title: string };
  phone_confirmation: boolean;
  allow_change_record: boolean;
  allow_change_record_delay_step: number;
  allow_delete_record: boolean;
  allow_delete_record_delay_step: number;
  booking_comment_required: boolean;
  booking_email_required: boolean;
  bookform_id: number;
}

export interface ServiceCategory {
  id: number;
  company_id: number;
  title: string;
  sex: number;
  weight: number;
  api_id: string;
}

export interface Service {
  id: number;
  company_id: number;
  salon_service_id: number;
  category_id: number;
  title: string;
  booking_title: string;
  print_title: string;
  /** 1 = bookable online, 0 = "offline service", never shown in `book_services`. */
  service_type: 0 | 1;
  active: 0 | 1;
  is_online: boolean;
  /** Seconds. */
  duration: number;
  price_min: string;
  price_max: string;
  discount: number;
  comment: string;
  weight: number;
  prepaid: string;
  sex: number;
  api_id: string;
  staff: Array<{ id: number; seance_length: number; technological_card_id: number }>;
}

export interface Staff {
  id: number;
  company_id: number;
  api_id: string;
  name: string;
  specialization: string;
  position: { id: number; title: string } | [];
  weight: number;
  rating: number;
  votes_count: number;
  comments_count: number;
  show_rating: number;
  avatar: string;
  avatar_big: string;
  information: string;
  /** 1 = hidden from online booking (still bookable by admins). */
  hidden: 0 | 1;
  fired: 0 | 1;
  /** Working hours in the branch's zone; sandbox-only, Altegio keeps them in a separate schedule. */
  schedule: WeeklySchedule;
}

export interface Label {
  id: number;
  title: string;
  color: string;
  icon: string;
  /** 0 common, 1 clients, 2 records. */
  entity: 0 | 1 | 2;
}

export interface ClientRow {
  id: number;
  companyId: number;
  name: string;
  surname: string;
  patronymic: string;
  /** Digits with country code (see `normalizePhone`). */
  phone: string;
  email: string;
  /** `YYYY-MM-DD` or `''` when unknown. */
  birthDate: string;
  categoryIds: number[];
  sexId: 0 | 1 | 2;
  importanceId: 0 | 1 | 2 | 3;
  card: string;
  comment: string;
  discount: number;
  smsCheck: 0 | 1;
  smsNot: 0 | 1;
  spent: number;
  visits: number;
  createdAt: number;
  lastChange: number;
}

export type Attendance = -1 | 0 | 1 | 2;

export interface RecordService {
  id: number;
  firstCost: number;
  discount: number;
  cost: number;
  amount: number;
}

export interface RecordRow {
  id: number;
  companyId: number;
  staffId: number;
  services: RecordService[];
  clientId: number | null;
  /** Start instant, ms since the epoch. */
  start: number;
  lengthSec: number;
  createdAt: number;
  lastChange: number;
  comment: string;
  apiId: string;
  attendance: Attendance;
  confirmed: 0 | 1;
  deleted: boolean;
  online: boolean;
  masterRequest: 0 | 1;
  visitId: number;
  paidFull: 0 | 1;
  prepaid: boolean;
  prepaidConfirmed: boolean;
  customColor: string;
  recordLabels: number[];
  bookformId: number;
  hash: string;
  smsRemainHours: number;
  emailRemainHours: number;
  customFields: Record<string, unknown>;
}

/** Everything a seed produces and the state owns. */
export interface SandboxData {
  companies: Company[];
  categories: ServiceCategory[];
  services: Service[];
  staff: Staff[];
  labels: Label[];
  clients: ClientRow[];
  records: RecordRow[];
}
