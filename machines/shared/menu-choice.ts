/**
 * How a client's message picks an option of a menu, shared by the machines whose menus are also
 * answered by number (reminders and feedback requests on WhatsApp).
 *
 * @module
 */
import type { ReplyMessage, UserEvent } from './events.js';

/** A menu number the client typed: `2`, ` 2 `, `2.` or `2)`. */
const MENU_NUMBER = /^\s*(\d{1,2})\s*[.)]?\s*$/;

/**
 * Which option of `menu` an event picks: a pressed value that is in the menu, or a menu number
 * (`1` = first option), typed or pressed. Numbers are accepted as both because the WhatsApp adapter
 * maps a typed digit to a value only while it remembers the menu it sent, which a restart forgets.
 * `null` for anything else, including a value of an older menu.
 *
 * @example
 * ```ts
 * pickedValue(menu, { type: 'user.text', text: '2' }); // 'cancel' when the menu is Confirm, Cancel
 * ```
 */
export function pickedValue(menu: ReplyMessage | null, event: UserEvent): string | null {
  const options = menu?.options ?? [];
  let raw: string;
  if (event.type === 'user.choice') {
    if (options.some((option) => option.value === event.value)) return event.value;
    raw = event.value;
  } else if (event.type === 'user.text') {
    raw = event.text;
  } else {
    return null;
  }
  const number = MENU_NUMBER.exec(raw)?.[1];
  if (number === undefined) return null;
  return options[Number(number) - 1]?.value ?? null;
}
