import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SettingsHolder } from '../config/settings-holder.js';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/index.js';
import type { AltegioData } from './altegio-data.js';
import type { FormFields } from './form.js';
import type { Html } from './html.js';
import type { PageContext } from './layout.js';
import type { Session } from './session.js';

/** What the page modules get from the plugin. */
export interface PageRoutes {
  store: Store;
  settings: SettingsHolder;
  clock: Clock;
  altegio: AltegioData;
  inspectorUrl: string | undefined;
  guard: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  contextOf: (request: FastifyRequest, reply: FastifyReply, session: Session | undefined) => PageContext;
  sessionOf: (request: FastifyRequest) => Session | undefined;
  formOf: (request: FastifyRequest) => FormFields;
  send: (reply: FastifyReply, body: Html, status?: number) => FastifyReply;
}
