import type { OutboundMessage } from '../../src/channels/channel.js';

/** A message with buttons as the engine hands it to a channel; `options` are `[value, label]` pairs. */
export function menu(
  text: string,
  menuId: string,
  options: ReadonlyArray<readonly [value: string, label: string]>,
  extra: Omit<OutboundMessage, 'text' | 'menuId' | 'options'> = {},
): OutboundMessage & Required<Pick<OutboundMessage, 'menuId' | 'options'>> {
  return { text, menuId, options: options.map(([value, label]) => ({ value, label })), ...extra };
}
