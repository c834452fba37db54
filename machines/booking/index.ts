/**
 * The booking dialogue: the machine, its version, and what the runtime needs to wire it.
 *
 * @module
 */
export {
  BOOKING_MACHINE_VERSION,
  type BookingContext,
  type BookingEvent,
  type BookingInput,
  bookingActors,
  bookingMachine,
  bookingRequest,
} from './booking.machine.js';
export {
  BOOKING_PHRASE_KEYS,
  BOOKING_PLURAL_KEYS,
  type BookingPhraseKey,
  CHOICE,
  PAGE_SIZE,
  PREFIX,
} from './menus.js';
