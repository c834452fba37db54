/**
 * What the Altegio client offers ({@link AltegioApi}) and the shapes its calls take. Kept apart
 * from `client.ts`, which assembles the client from the `ops-*.ts` files, so that those files and
 * the caches can name these types without importing the module that imports them.
 *
 * @module
 */
import type { AcquireOptions, CallPriority } from './rate-limiter.js';
import type {
  AltegioRecord,
  AltegioService,
  AltegioStaff,
  Attendance,
  BookDates,
  BookedRecord,
  BookServices,
  BookStaff,
  BookTime,
  ClientCard,
  ClientSummary,
  Company,
  Label,
  ServiceCategory,
} from './schemas.js';

/** Per-call options. */
export interface CallOptions {
  /** Aborts waiting in the limiter queue, the request and the backoff. */
  signal?: AbortSignal | undefined;
}

/** Options of a record write (`updateRecord`, `setAttendance`, `setRecordColor`). */
export interface RecordWriteOptions extends CallOptions {
  /**
   * The record as Altegio last sent it (a webhook's or a list's raw `data`), recent enough to build
   * the full PUT from without reading the record first: one call instead of two. A copy that
   * already shows the change, cannot be parsed, or whose PUT is refused is not trusted: the record
   * is read and written as without it, so a stale copy may cost a call but never skips a write.
   */
  known?: Record<string, unknown> | undefined;
}

/** Filters of `GET /companies`. */
export interface CompanyQuery {
  id?: number;
  groupId?: number;
  /** Only companies the user token can see. */
  my?: boolean;
  active?: boolean;
}

/** How `services()` picks names and which services it keeps. */
export interface ServicesOptions {
  /**
   * `records.useWidgetServiceNames`: name = `booking_title` when Altegio sends one (it is not in the
   * documented list schema), else `title`.
   */
  useWidgetNames?: boolean;
  /** `records.loadOfflineServices`: keep services with `active` 0 (not available for online booking). */
  includeOffline?: boolean;
}

/** One appointment of a booking request. */
export interface AppointmentInput {
  /** Our correlation number, echoed back as `BookedRecord.id`. */
  id: number;
  services: number[];
  /** `0` = any master. */
  staffId: number;
  /** Exactly as `bookTimes` returned it. */
  datetime: string | number;
  customFields?: Record<string, unknown>;
}

/** `POST /book_record` input. */
export interface BookRecordInput {
  phone: string;
  fullname: string;
  email?: string;
  appointments: AppointmentInput[];
  comment?: string;
  /** SMS code, when the branch requires phone confirmation. */
  code?: string;
  notifyBySms?: number;
  notifyByEmail?: number;
}

/** Filters of `GET /records/{cid}`. */
export interface RecordQuery {
  /** Visit date from/to, `YYYY-MM-DD`. */
  startDate?: string;
  endDate?: string;
  /** Records changed after this instant (Date, ms epoch or ISO string). */
  changedAfter?: Date | number | string;
  changedBefore?: Date | number | string;
  clientId?: number;
  staffId?: number;
  withDeleted?: boolean;
  /** Page size; default 200. */
  count?: number;
}

/** Fields `updateRecord` can change; everything else is sent back as it is. */
export interface RecordChanges {
  attendance?: Attendance;
  /** Hex with or without `#`; `''` resets to the default colour. */
  customColor?: string;
  comment?: string;
  datetime?: string;
  staffId?: number;
  seanceLength?: number;
  labelIds?: number[];
}

/** Filters of the client search. */
export interface ClientSearchQuery {
  /**
   * Birthday range, `MM-DD` or `YYYY-MM-DD`; sent as `MM-DD` (Altegio's own tooling). Hits carry no
   * birth date: read the client card for it.
   */
  birthday?: { from: string; to: string };
  /** Phone, name or card substring. */
  quickSearch?: string;
  /** Up to 200. Default 200. */
  pageSize?: number;
}

/** How a part of the engine spends the shared call budget (see `rate-limiter.ts`). */
export interface CallScope {
  /** Told when a call has to wait for the budget. */
  onQueued?: AcquireOptions['onQueued'];
}

/** The client returned by {@link createAltegioClient}. */
export interface AltegioApi {
  /**
   * The same client and budget, every call queued at `priority`: a booking dialogue asks as
   * `booking`, reminder writes as `write`, notifications as `notify`, sync as `sync`.
   */
  withPriority(priority: CallPriority, scope?: CallScope): AltegioApi;
  // reference data
  getCompany(companyId: number, options?: CallOptions): Promise<Company>;
  listCompanies(query?: CompanyQuery, options?: CallOptions): Promise<Company[]>;
  services(companyId: number, choose?: ServicesOptions, options?: CallOptions): Promise<AltegioService[]>;
  serviceCategories(companyId: number, options?: CallOptions): Promise<ServiceCategory[]>;
  staff(companyId: number, options?: CallOptions): Promise<AltegioStaff[]>;
  // online booking
  bookServices(
    companyId: number,
    query?: { staffId?: number; datetime?: string; serviceIds?: number[] },
    options?: CallOptions,
  ): Promise<BookServices>;
  bookStaff(
    companyId: number,
    query?: { serviceIds?: number[]; datetime?: string },
    options?: CallOptions,
  ): Promise<BookStaff[]>;
  bookDates(
    companyId: number,
    query?: { serviceIds?: number[]; staffId?: number; dateFrom?: string; dateTo?: string; month?: string },
    options?: CallOptions,
  ): Promise<BookDates>;
  bookTimes(
    companyId: number,
    staffId: number,
    date: string,
    query?: { serviceIds?: number[] },
    options?: CallOptions,
  ): Promise<BookTime[]>;
  /** Resolves when Altegio would accept the booking; throws `AltegioApiError` (433 …) otherwise. */
  bookCheck(companyId: number, appointments: AppointmentInput[], options?: CallOptions): Promise<void>;
  /** Books; never creates a duplicate on a lost answer (see `ops-booking.ts`). */
  bookRecord(companyId: number, input: BookRecordInput, options?: CallOptions): Promise<BookedRecord[]>;
  /**
   * Looks for records already created for this booking (client phone + start + master). Returns
   * `null` when none exist. Use it to guard a booking step that may run twice after a restart.
   */
  findBooking(
    companyId: number,
    input: Pick<BookRecordInput, 'phone' | 'appointments'>,
    options?: CallOptions,
  ): Promise<BookedRecord[] | null>;
  // records
  iterateRecords(companyId: number, query?: RecordQuery, options?: CallOptions): AsyncIterable<AltegioRecord>;
  /** Like `iterateRecords`, each record with the object Altegio sent (what a webhook's `data` holds). */
  iterateRecordsWithRaw(
    companyId: number,
    query?: RecordQuery,
    options?: CallOptions,
  ): AsyncIterable<{ record: AltegioRecord; raw: Record<string, unknown> }>;
  listRecords(companyId: number, query?: RecordQuery, options?: CallOptions): Promise<AltegioRecord[]>;
  getRecord(companyId: number, recordId: number, options?: CallOptions): Promise<AltegioRecord>;
  /** GET then full-state PUT; skips the PUT when the record already has the changes. */
  updateRecord(
    companyId: number,
    recordId: number,
    changes: RecordChanges,
    options?: RecordWriteOptions,
  ): Promise<AltegioRecord>;
  /** Cancels (deletes) a record; a 404 on a retry counts as done. */
  deleteRecord(companyId: number, recordId: number, options?: CallOptions): Promise<void>;
  /** 2 confirmed, 1 came, 0 waiting, -1 no-show; through the record PUT (default) or the visit. */
  setAttendance(
    companyId: number,
    recordId: number,
    attendance: Attendance,
    options?: RecordWriteOptions & { via?: 'record' | 'visit'; comment?: string },
  ): Promise<void>;
  /** Writes `custom_color` as hex without `#`. */
  setRecordColor(
    companyId: number,
    recordId: number,
    hex: string,
    options?: RecordWriteOptions,
  ): Promise<AltegioRecord>;
  // clients
  getClient(companyId: number, clientId: number, options?: CallOptions): Promise<ClientCard>;
  iterateClients(
    companyId: number,
    query?: ClientSearchQuery,
    options?: CallOptions,
  ): AsyncIterable<ClientSummary>;
  searchClients(
    companyId: number,
    query?: ClientSearchQuery,
    options?: CallOptions,
  ): Promise<ClientSummary[]>;
  /** Client labels (`/labels/{cid}/1`), deleted ones dropped. */
  clientCategories(companyId: number, options?: CallOptions): Promise<Label[]>;
}
