import type { ReplyMessage } from './events.js';

/**
 * The `on` of a state that cannot take an answer (a write is on its way): whatever the client
 * sends gets `message` through the machine's `say` action, and changes nothing.
 */
export function answerEverythingWith(message: ReplyMessage) {
  const say = { actions: { type: 'say', params: { message } } } as const;
  return { 'user.command': say, 'user.choice': say, 'user.text': say, 'user.contact': say } as const;
}
