/**
 * The product's three meanings of "channel", named apart:
 *
 * - {@link ChatChannel}: where a chat lives. Stored with every conversation, outbox row and
 *   delivery, and carried by every inbound message.
 * - {@link Messenger}: a chat channel a salon reaches its clients through, as
 *   `general.channelPriority` lists them (the console and the web playground reach no client).
 * - `ChannelAdapter` (`src/channels/channel.ts`): the port a messenger integration implements.
 *
 * @module
 */

/** Every chat channel; `web` is the playground's chat panes (sandbox mode only). */
export const CHAT_CHANNELS = ['telegram', 'whatsapp', 'console', 'web'] as const;

/** Where a chat lives (see the module comment). */
export type ChatChannel = (typeof CHAT_CHANNELS)[number];

/** The messengers notifications can go through, in the default `general.channelPriority` order. */
export const MESSENGERS = ['whatsapp', 'telegram'] as const satisfies readonly ChatChannel[];

/** A messenger a salon reaches clients through (see the module comment). */
export type Messenger = (typeof MESSENGERS)[number];
