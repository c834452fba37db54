/**
 * The playground, as the engine wires it in sandbox mode: the web channel its panes talk
 * through, the sandbox controls, and the routes. One call here keeps the composition root short.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createWebChannel, type WebChannel } from '../../channels/web.js';
import { createPlaygroundControls, type PlaygroundControls, type PlaygroundServices } from './controls.js';
import { registerPlaygroundRoutes } from './routes.js';
import { createPlaygroundSessions } from './sessions.js';

export { PLAYGROUND_NAV } from './page.js';

/** What an embedder or a test may change; both waits are short by default so a visit fits in a minute. */
export interface PlaygroundOptions {
  /** How soon the reminder of "make me a visit" is due. Default 15 s. */
  reminderLeadMs?: number;
  /** How soon the feedback request comes after "came". Default 3 s. */
  feedbackLeadMs?: number;
}

export interface PlaygroundDeps extends PlaygroundOptions, PlaygroundServices {
  /** The line under a numbered menu, in a language (the bot's `common.menuHint`). */
  menuHint(languageCode: string | undefined): string;
}

export interface Playground {
  /** The `web` channel, to register with the dispatcher like every channel. */
  channel: WebChannel;
  controls: PlaygroundControls;
  /** Registers `/playground…` and `GET /`. */
  register(
    app: FastifyInstance,
    access: { adminToken: string | undefined; isSignedIn?(request: FastifyRequest): boolean },
  ): void;
}

export function createPlayground(deps: PlaygroundDeps): Playground {
  const logger = deps.logger.child({ component: 'playground' });
  const reminderLeadMs = deps.reminderLeadMs ?? 15_000;
  const channel = createWebChannel({ logger: deps.logger, phrases: { menuHint: deps.menuHint } });
  const controls = createPlaygroundControls({
    control: deps.control,
    altegio: deps.altegio,
    branchIds: deps.branchIds,
    settings: deps.settings,
    store: deps.store,
    clock: deps.clock,
    logger,
    wakeNotifications: deps.wakeNotifications,
    reminderLeadMs,
    feedbackLeadMs: deps.feedbackLeadMs ?? 3_000,
  });
  return {
    channel,
    controls,
    register(app, access) {
      registerPlaygroundRoutes(app, {
        web: channel,
        sessions: createPlaygroundSessions(),
        controls,
        store: deps.store,
        settings: deps.settings,
        adminToken: access.adminToken,
        ...(access.isSignedIn ? { isSignedIn: access.isSignedIn } : {}),
        reminderLeadMs,
        logger,
      });
    },
  };
}
