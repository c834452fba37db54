import { randomBytes } from 'node:crypto';
import { normalizePhone } from '../../domain/phone.js';
import { notFound } from './envelope.js';
import type { ClientRow, Company, RecordRow, SandboxData, Service, Staff } from './model.js';

/** A change that Altegio would announce by webhook. */
export interface ChangeEvent {
  resource: 'record' | 'client';
  status: 'create' | 'update' | 'delete';
  companyId: number;
  id: number;
}

/**
 * The salon in memory: lookups plus the few primitive mutations that every path (REST handlers,
 * control calls) goes through, so that each change gets a fresh `last_change_date` and exactly
 * one change event.
 */
/**
 * The documented reasons a record PUT can be refused (update_appointment, "Editing restrictions"),
 * each on when the sandbox's user lacks that edit permission. All off by default: a salon owner.
 */
export interface EditRestrictions {
  awaitingPayment: boolean;
  paidFull: boolean;
  arrived: boolean;
}

export class SandboxState {
  private lastStamp = 0;
  editRestrictions: EditRestrictions = { awaitingPayment: false, paidFull: false, arrived: false };
  private nextRecordId: number;
  private nextVisitId: number;
  private nextClientId: number;
  private readonly listeners: Array<(event: ChangeEvent) => void> = [];

  constructor(
    readonly data: SandboxData,
    readonly now: () => Date,
  ) {
    this.nextRecordId = Math.max(600, ...data.records.map((r) => r.id)) + 1;
    this.nextVisitId = Math.max(700, ...data.records.map((r) => r.visitId)) + 1;
    this.nextClientId = Math.max(500, ...data.clients.map((c) => c.id)) + 1;
    this.lastStamp = Math.max(
      0,
      ...data.records.map((r) => r.lastChange),
      ...data.clients.map((c) => c.lastChange),
    );
  }

  onChange(listener: (event: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A change time strictly after the previous one, whole seconds (the wire format has no
   * milliseconds). With a frozen test clock, consecutive changes still get increasing stamps —
   * webhook consumers dedupe on `last_change_date`, so equal stamps would hide real changes.
   */
  stamp(): number {
    const now = Math.floor(this.now().getTime() / 1000) * 1000;
    this.lastStamp = Math.max(now, this.lastStamp + 1000);
    return this.lastStamp;
  }

  company(id: number): Company {
    const found = this.data.companies.find((c) => c.id === id);
    if (!found) throw notFound('Company not found');
    return found;
  }

  services(companyId: number): Service[] {
    return this.data.services.filter((s) => s.company_id === companyId);
  }

  service(companyId: number, id: number): Service | undefined {
    return this.data.services.find((s) => s.company_id === companyId && s.id === id);
  }

  staffList(companyId: number): Staff[] {
    return this.data.staff.filter((s) => s.company_id === companyId);
  }

  staff(companyId: number, id: number): Staff | undefined {
    return this.data.staff.find((s) => s.company_id === companyId && s.id === id);
  }

  clients(companyId: number): ClientRow[] {
    return this.data.clients.filter((c) => c.companyId === companyId);
  }

  client(id: number): ClientRow | undefined {
    return this.data.clients.find((c) => c.id === id);
  }

  clientByPhone(companyId: number, phone: string): ClientRow | undefined {
    const wanted = normalizePhone(phone);
    return wanted ? this.clients(companyId).find((c) => c.phone === wanted) : undefined;
  }

  records(companyId: number, withDeleted = false): RecordRow[] {
    return this.data.records
      .filter((r) => r.companyId === companyId && (withDeleted || !r.deleted))
      .sort((a, b) => a.start - b.start || a.id - b.id);
  }

  record(companyId: number, id: number): RecordRow | undefined {
    return this.data.records.find((r) => r.companyId === companyId && r.id === id);
  }

  requireRecord(companyId: number, id: number): RecordRow {
    const found = this.record(companyId, id);
    if (!found) throw notFound('Record not found');
    return found;
  }

  /** Records that occupy a staff member's time: everything not deleted, no-shows included. */
  busyRecords(staffId: number, exceptRecordId?: number): RecordRow[] {
    return this.data.records.filter((r) => r.staffId === staffId && !r.deleted && r.id !== exceptRecordId);
  }

  /**
   * Matches a client by phone within the branch, or creates one. An existing client keeps the
   * name on file (which name wins upstream is unconfirmed; the salon's record is the safer guess).
   */
  findOrCreateClient(companyId: number, phone: string, name: string, email = ''): ClientRow {
    const existing = this.clientByPhone(companyId, phone);
    if (existing) return existing;
    const digits = normalizePhone(phone) ?? phone;
    const at = this.stamp();
    const [first = name, ...rest] = name.trim().split(/\s+/);
    const client: ClientRow = {
      id: this.nextClientId++,
      companyId,
      name: first,
      surname: rest.join(' '),
      patronymic: '',
      phone: digits,
      email,
      birthDate: '',
      categoryIds: [],
      sexId: 0,
      importanceId: 0,
      card: '',
      comment: '',
      discount: 0,
      smsCheck: 0,
      smsNot: 0,
      spent: 0,
      visits: 0,
      createdAt: at,
      lastChange: at,
    };
    this.data.clients.push(client);
    this.emit({ resource: 'client', status: 'create', companyId, id: client.id });
    return client;
  }

  /** Adds a record; ids, hash and stamps are assigned here. */
  addRecord(
    fields: Omit<RecordRow, 'id' | 'visitId' | 'hash' | 'createdAt' | 'lastChange' | 'deleted'>,
  ): RecordRow {
    const at = this.stamp();
    const row: RecordRow = {
      ...fields,
      id: this.nextRecordId++,
      visitId: this.nextVisitId++,
      hash: randomBytes(16).toString('hex'),
      createdAt: at,
      lastChange: at,
      deleted: false,
    };
    this.data.records.push(row);
    this.emit({ resource: 'record', status: 'create', companyId: row.companyId, id: row.id });
    return row;
  }

  /** Applies a change to a record, bumps its stamp and announces it. */
  changeRecord(row: RecordRow, change: Partial<RecordRow>): RecordRow {
    Object.assign(row, change, { lastChange: this.stamp() });
    this.emit({
      resource: 'record',
      status: row.deleted ? 'delete' : 'update',
      companyId: row.companyId,
      id: row.id,
    });
    return row;
  }

  /** Applies a change to a client's card, bumps its stamp and announces it. */
  changeClient(client: ClientRow, change: Partial<ClientRow>): ClientRow {
    Object.assign(client, change, { lastChange: this.stamp() });
    this.emit({ resource: 'client', status: 'update', companyId: client.companyId, id: client.id });
    return client;
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
