import type { CachedAltegioApi } from '../altegio/cache.js';
import type { CallScope } from '../altegio/client.js';
import { toCalendarDate } from '../altegio/coerce.js';
import { AltegioApiError, AltegioNetworkError } from '../altegio/errors.js';
import { BOT_BOOKING_COMMENT } from '../altegio/ops-booking.js';
import {
  ANY_STAFF_ID,
  type BookingFailure,
  type BookingPort,
  type Branch,
  type Service,
} from '../domain/booking.js';
import type { Settings } from '../domain/settings.js';
import type { Logger } from '../log.js';
import type { BookingAttempts } from './booking-attempts.js';

export interface AltegioBookingPortOptions {
  altegio: CachedAltegioApi;
  settings: () => Settings;
  /** In sandbox mode with no `branches[]` configured, every branch of the salon is served. */
  serveAllBranches: boolean;
  logger: Logger;
  /** Told when a client's call waits for the Altegio budget (the chat shows that it is in line). */
  onQueued?: CallScope['onQueued'];
  /** Tells a first `book_record` from a repeat; without it every send counts as a possible repeat. */
  attempts?: BookingAttempts;
}

/** The branches served: `branches[]`, or in sandbox mode without any, every branch of the salon. */
export async function servedBranchIds(
  options: Pick<AltegioBookingPortOptions, 'altegio' | 'settings' | 'serveAllBranches'>,
  signal?: AbortSignal,
): Promise<number[]> {
  const configured = options.settings().branches.map((branch) => branch.id);
  if (configured.length > 0 || !options.serveAllBranches) return configured;
  return (await options.altegio.listCompanies({}, { signal })).map((company) => company.id);
}

/**
 * The booking machine's actors, answered by Altegio. Reference data comes through the cache, so a
 * whole booking costs the online-booking calls plus one `book_record`.
 */
export function createAltegioBookingPort(options: AltegioBookingPortOptions): BookingPort {
  const { logger } = options;
  // A client is waiting on every one of these calls: they go first in the Altegio budget.
  const altegio = options.altegio.withPriority(
    'booking',
    options.onQueued ? { onQueued: options.onQueued } : {},
  );
  const branchIds = (signal: AbortSignal) => servedBranchIds({ ...options, altegio }, signal);

  return {
    async loadBranches(signal) {
      const settings = options.settings();
      const ids = await branchIds(signal);
      return Promise.all(
        ids.map(async (id): Promise<Branch> => {
          const company = await altegio.getCompany(id, { signal });
          const configured = settings.branches.find((branch) => branch.id === id);
          return {
            id,
            title: company.publicTitle || company.title,
            address: configured?.address || company.address,
            timezone: company.timezoneName ?? settings.general.timezone,
          };
        }),
      );
    },

    async loadServices({ companyId }, signal) {
      const settings = options.settings();
      const [services, categories] = await Promise.all([
        altegio.services(
          companyId,
          { useWidgetNames: settings.records.useWidgetServiceNames, includeOffline: false },
          { signal },
        ),
        altegio.serviceCategories(companyId, { signal }).catch(() => []),
      ]);
      const categoryName = new Map(categories.map((category) => [category.id, category.title]));
      return services
        .filter((service) => service.online)
        .sort((a, b) => b.weight - a.weight)
        .map((service): Service => {
          const category = service.categoryId === null ? undefined : categoryName.get(service.categoryId);
          return {
            id: service.id,
            name: service.name,
            durationSeconds: service.duration,
            priceMin: service.priceMin,
            priceMax: service.priceMax,
            ...(category ? { categoryName: category } : {}),
          };
        });
    },

    async loadStaff({ companyId, serviceIds }, signal) {
      const staff = await altegio.bookStaff(companyId, { serviceIds }, { signal });
      return staff
        .filter((member) => member.bookable)
        .map((member) => ({
          id: member.id,
          name: member.name,
          ...(member.specialization ? { specialization: member.specialization } : {}),
        }));
    },

    async loadDates({ companyId, serviceIds, staffId }, signal) {
      const dates = await altegio.bookDates(companyId, { serviceIds, staffId }, { signal });
      return dates.bookingDates;
    },

    async loadTimes({ companyId, serviceIds, staffId, date }, signal) {
      const times = await altegio.bookTimes(companyId, staffId, date, { serviceIds }, { signal });
      return times.map((slot) => ({ time: slot.time, datetime: String(slot.datetime) }));
    },

    async createBooking(request, signal) {
      const appointments = [
        {
          id: 1,
          services: request.serviceIds,
          staffId: request.staffId,
          datetime: /^\d+$/.test(request.datetime) ? Number(request.datetime) : request.datetime,
        },
      ];
      const booking = { phone: request.phone, appointments };
      // Noted before the send, so that a repeat of this step after a crash knows it is one.
      const firstSend = (await options.attempts?.firstSend(request.idempotencyKey)) ?? false;
      try {
        const [booked] = await altegio.bookRecord(
          request.companyId,
          { ...booking, fullname: request.fullname, comment: BOT_BOOKING_COMMENT },
          { signal },
        );
        if (!booked) throw new Error('book_record answered no record');
        return await describeBooked(booked.recordId);
      } catch (error) {
        if (error instanceof AltegioApiError && error.isSlotUnavailable) {
          // The times shown next must be Altegio's, fresh.
          // A unix-time slot names no branch-local day: drop all of that master's days.
          const day = /^\d+$/.test(request.datetime)
            ? undefined
            : (toCalendarDate(request.datetime) ?? undefined);
          altegio.invalidateAvailability(request.companyId, { staffId: request.staffId, date: day });
          // Those times are asked for now, beside any lookup below: the cache hands them to the
          // times step that follows, so the client waits for one call after the refusal, not two.
          if (day !== undefined) {
            altegio
              .bookTimes(
                request.companyId,
                request.staffId,
                day,
                { serviceIds: request.serviceIds },
                { signal },
              )
              // A failure here is the times step's to report: it asks again.
              .catch(() => {});
          }
          // A repeated step (after a crash, or the client's Retry) may find its own earlier booking
          // holding the slot: that is success. A first send's refusal is someone else's booking.
          if (!firstSend) {
            const existing = await altegio
              .findBooking(request.companyId, booking, { signal })
              .catch(() => null);
            const own = existing?.[0];
            if (own) return describeBooked(own.recordId);
          }
        }
        throw toBookingFailure(error);
      }

      async function describeBooked(recordId: number) {
        // With "any specialist" only the stored record tells who was assigned.
        if (request.staffId !== ANY_STAFF_ID) return { recordId, datetime: request.datetime };
        try {
          const record = await altegio.getRecord(request.companyId, recordId, { signal });
          return {
            recordId,
            datetime: record.datetime || request.datetime,
            ...(record.staff?.name ? { staffName: record.staff.name } : {}),
          };
        } catch (error) {
          logger.warn({ err: error, recordId }, 'booked, but could not read the assigned specialist');
          return { recordId, datetime: request.datetime };
        }
      }
    },
  };
}

/** Altegio's answer as the machine understands it; see {@link BookingFailure}. */
export function toBookingFailure(error: unknown): BookingFailure {
  if (error instanceof AltegioApiError) {
    if (error.isSlotUnavailable) return { kind: 'slot-taken', message: error.message };
    if (error.kind === 'server' || error.kind === 'rate-limited' || error.kind === 'invalid-response') {
      return { kind: 'unavailable', message: error.message };
    }
    return { kind: 'rejected', message: error.message };
  }
  if (error instanceof AltegioNetworkError) return { kind: 'unavailable', message: error.message };
  return { kind: 'unavailable', message: error instanceof Error ? error.message : String(error) };
}
