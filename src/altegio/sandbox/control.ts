import { parseWith, SandboxError } from './envelope.js';
import type { Attendance } from './model.js';
import {
  createRecord,
  deleteRecord,
  patchRecord,
  type RecordCreate,
  type RecordPatch,
  recordCreateSchema,
  recordPatchSchema,
} from './records.js';
import type { EditRestrictions, SandboxState } from './state.js';
import { isDay } from './time.js';
import { renderClient, renderRecord } from './views.js';

/** A record or client as Altegio renders it (the same object the REST API and webhooks carry). */
export type AltegioObject = Record<string, unknown>;

/**
 * What a salon administrator would do in Altegio's UI, callable from tests (and over HTTP under
 * `/__sandbox/`). Every change goes through the same paths as the REST API, so it bumps
 * `last_change_date` and fires the webhook. Invalid input throws `SandboxError`.
 */
export interface SandboxControl {
  /** Admin-style record (`POST /records` body); a `client` with a new phone creates the client. */
  createRecord(companyId: number, input: RecordCreate): AltegioObject;
  getRecord(companyId: number, recordId: number): AltegioObject | undefined;
  listRecords(companyId: number, options?: { withDeleted?: boolean }): AltegioObject[];
  /** Client confirmed (2), arrived (1), no-show (-1) or back to waiting (0). */
  setAttendance(companyId: number, recordId: number, attendance: Attendance): AltegioObject;
  /** New start (ISO with offset or branch-local `YYYY-MM-DD HH:MM`), optionally another member. */
  moveRecord(companyId: number, recordId: number, datetime: string, staffId?: number): AltegioObject;
  /** Any PUT-style change (`custom_color`, `comment`, …). */
  updateRecord(companyId: number, recordId: number, patch: RecordPatch): AltegioObject;
  /** Online prepayment completed: `prepaid_confirmed` true, `paid_full` 1 (an `update` webhook, as after a payment). */
  markPaid(companyId: number, recordId: number): AltegioObject;
  /** Online payment offered but not made: `prepaid` true, `prepaid_confirmed` false, `paid_full` 0. */
  offerOnlinePayment(companyId: number, recordId: number): AltegioObject;
  /** Which documented edit restrictions refuse a record PUT (all off by default). */
  restrictEdits(rules: Partial<EditRestrictions>): void;
  /** Cancels: `deleted` true, `delete` webhook. */
  deleteRecord(companyId: number, recordId: number): void;
  listClients(companyId: number): AltegioObject[];
  /**
   * Sets the birth date (`YYYY-MM-DD`) on the branch's client with this phone, creating the client
   * under `name` when there is none; a `client` `update` webhook follows, as after an edit in Altegio.
   */
  setClientBirthDate(companyId: number, phone: string, name: string, birthDate: string): AltegioObject;
}

export function createControl(state: SandboxState): SandboxControl {
  const render = (companyId: number, recordId: number): AltegioObject =>
    renderRecord(state, state.requireRecord(companyId, recordId));
  const patch = (companyId: number, recordId: number, body: RecordPatch): AltegioObject => {
    const row = state.requireRecord(companyId, recordId);
    return renderRecord(state, patchRecord(state, row, parseWith(recordPatchSchema, body)));
  };
  return {
    createRecord: (companyId, input) =>
      renderRecord(
        state,
        createRecord(state, state.company(companyId), parseWith(recordCreateSchema, input)),
      ),
    getRecord: (companyId, recordId) => {
      const row = state.record(companyId, recordId);
      return row ? renderRecord(state, row) : undefined;
    },
    listRecords: (companyId, options = {}) =>
      state.records(companyId, options.withDeleted ?? false).map((row) => renderRecord(state, row)),
    setAttendance: (companyId, recordId, attendance) => patch(companyId, recordId, { attendance }),
    moveRecord: (companyId, recordId, datetime, staffId) =>
      patch(companyId, recordId, staffId === undefined ? { datetime } : { datetime, staff_id: staffId }),
    updateRecord: patch,
    markPaid: (companyId, recordId) => {
      const row = state.requireRecord(companyId, recordId);
      state.changeRecord(row, { prepaid: true, prepaidConfirmed: true, paidFull: 1 });
      return render(companyId, recordId);
    },
    offerOnlinePayment: (companyId, recordId) => {
      const row = state.requireRecord(companyId, recordId);
      state.changeRecord(row, { prepaid: true, prepaidConfirmed: false, paidFull: 0 });
      return render(companyId, recordId);
    },
    restrictEdits: (rules) => {
      state.editRestrictions = { ...state.editRestrictions, ...rules };
    },
    deleteRecord: (companyId, recordId) => deleteRecord(state, state.requireRecord(companyId, recordId)),
    listClients: (companyId) => state.clients(companyId).map((client) => renderClient(state, client)),
    setClientBirthDate: (companyId, phone, name, birthDate) => {
      if (!isDay(birthDate)) throw new SandboxError(400, `Invalid request: birth date "${birthDate}"`);
      const client = state.findOrCreateClient(state.company(companyId).id, phone, name);
      return renderClient(state, state.changeClient(client, { birthDate }));
    },
  };
}
