import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SettingsHolder } from '../config/settings-holder.js';
import type { Clock } from '../domain/clock.js';
import { maskPhone, normalizePhone } from '../domain/phone.js';
import type { Dialogue, Store, Task, TaskKind } from '../store/index.js';
import { changeSettings } from './change-settings.js';
import { sameSecret } from './secret.js';

export interface AdminApiOptions {
  /** Without a token the admin API is off: every `/api/*` route answers 404 saying so. */
  token: string | undefined;
  store: Store;
  settings: SettingsHolder;
  clock: Clock;
}

/** One task as `GET /api/tasks` answers it (a documented shape other tools rely on). */
export interface TaskView {
  id: number;
  kind: TaskKind;
  title: string;
  recordId: number;
  companyId: number;
  /** Normalised digits as stored; null when the record had no phone. */
  clientPhone: string | null;
  rating?: number;
  comment?: string;
  /** ISO 8601. */
  createdAt: string;
  done: boolean;
}

/** One active dialogue as `GET /api/dialogues` answers it. */
export interface DialogueView {
  id: number;
  machine: string;
  version: number;
  /** The machine's state as a dotted path, e.g. `service.choosing`; null for an unreadable snapshot. */
  state: string | null;
  channel: string | null;
  chatId: string | null;
  /** Masked: the list is for looking over, not for harvesting clients' numbers. */
  phone: string | null;
  recordId: number | null;
  /** ISO 8601. */
  updatedAt: string;
  /** The soonest pending timer (ISO 8601), or null when the dialogue waits for nothing. */
  nextDeadline: string | null;
}

export const ADMIN_API_OFF_MESSAGE = 'the admin API is off because ADMIN_TOKEN is not set';

const iso = (ms: number): string => new Date(ms).toISOString();

export function toTaskView(task: Task): TaskView {
  return {
    id: task.id,
    kind: task.kind,
    title: task.title,
    recordId: task.recordId,
    companyId: task.companyId,
    clientPhone: task.clientPhone,
    ...(task.rating === null ? {} : { rating: task.rating }),
    ...(task.comment === null ? {} : { comment: task.comment }),
    createdAt: iso(task.createdAt),
    done: task.done,
  };
}

/**
 * XState state values are a string for a top-level state and nested objects below it
 * (`{ service: 'choosing' }`). Parallel regions, should a machine ever have them, come out as
 * their dotted paths joined by `, `.
 */
export function flattenStateValue(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const paths = Object.entries(value).map(([key, child]) => {
    const rest = flattenStateValue(child);
    // An empty object is how XState writes a compound state entered without a child yet.
    return rest === null || rest === '' ? key : `${key}.${rest}`;
  });
  return paths.length === 0 ? '' : paths.join(', ');
}

function stateOf(snapshot: unknown): string | null {
  if (snapshot === null || typeof snapshot !== 'object' || !('value' in snapshot)) return null;
  return flattenStateValue(snapshot.value);
}

// Query strings arrive as text; anything but the exact words is refused rather than read as false.
const booleanText = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .transform((v) => v === 'true');

const tasksQuery = z.object({ done: booleanText.optional() });
const taskParams = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'must be a task id (a whole number)' })
    .transform(Number),
});
const deliveriesQuery = z.object({ phone: z.string().optional(), record: z.string().optional() });

/** The first zod problem as one line naming the parameter, e.g. `done: must be true or false`. */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

function badRequest(reply: FastifyReply, error: string): FastifyReply {
  return reply.code(400).send({ error });
}

/**
 * `/api/*`, the salon admin's HTTP API, behind `Authorization: Bearer $ADMIN_TOKEN`. Registered
 * as one encapsulated plugin so the token check covers every route in it and nothing outside.
 */
export function registerAdminApi(app: FastifyInstance, options: AdminApiOptions): void {
  const { token, store, settings, clock } = options;
  void app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        // The routes stay registered when the API is off, so an admin who forgot the token is
        // told why instead of getting a bare "route not found".
        if (!token) return reply.code(404).send({ error: ADMIN_API_OFF_MESSAGE });
        const header = request.headers.authorization ?? '';
        const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
        if (!given || !sameSecret(given, token)) {
          request.log.warn(
            { route: request.routeOptions.url },
            'admin API call without a valid token refused',
          );
          return reply.code(401).send({ error: 'missing or wrong bearer token' });
        }
      });

      // The ETag is the settings' version: a client that sends it back as If-Match is refused
      // with 409 instead of overwriting a change someone else made meanwhile.
      api.get('/settings', async (_request, reply) => {
        reply.header('etag', `"${settings.version()}"`);
        return settings.get();
      });

      api.put('/settings', async (request, reply) => {
        const ifMatch = request.headers['if-match'];
        const expectedVersion =
          typeof ifMatch === 'string' && ifMatch !== '*'
            ? ifMatch.replace(/^W\//, '').replace(/"/g, '')
            : undefined;
        const result = await changeSettings(settings, request.body, {
          expectedVersion,
          logger: request.log,
          source: 'admin API',
        });
        if (!result.ok) {
          const { ok: _ok, status, ...answer } = result;
          return reply.code(status).send(answer);
        }
        reply.header('etag', `"${result.version}"`);
        return result.settings;
      });

      api.get('/tasks', async (request, reply) => {
        const query = tasksQuery.safeParse(request.query);
        if (!query.success) return badRequest(reply, firstIssue(query.error));
        const { done } = query.data;
        return (await store.tasks.list(done === undefined ? {} : { done })).map(toTaskView);
      });

      api.post('/tasks/:id/done', async (request, reply) => {
        const params = taskParams.safeParse(request.params);
        if (!params.success) return badRequest(reply, firstIssue(params.error));
        // Idempotent by the store: a second call keeps the first done time and still answers 200.
        const task = await store.tasks.markDone(params.data.id, clock.now());
        if (!task) return reply.code(404).send({ error: `no task ${params.data.id}` });
        return toTaskView(task);
      });

      api.get('/dialogues', async () =>
        Promise.all(
          (await store.dialogues.list({ status: 'active' })).map((dialogue) =>
            toDialogueView(store, dialogue),
          ),
        ),
      );

      // Every notification decision for a phone or a record: the answer to "why did my client
      // not get the reminder?".
      api.get('/deliveries', async (request, reply) => {
        const query = deliveriesQuery.safeParse(request.query);
        if (!query.success) return badRequest(reply, firstIssue(query.error));
        const { phone, record } = query.data;
        if (phone !== undefined) {
          const normalized = normalizePhone(phone);
          if (!normalized) return badRequest(reply, `"${phone}" is not a phone number`);
          return store.deliveries.byPhone(normalized);
        }
        if (record !== undefined) {
          if (!/^\d{1,15}$/.test(record)) return badRequest(reply, 'record must be a record id');
          return store.deliveries.byRecord(Number(record));
        }
        return store.deliveries.recent();
      });
    },
    { prefix: '/api' },
  );
}

export async function toDialogueView(store: Store, dialogue: Dialogue): Promise<DialogueView> {
  const conversation = await store.conversations.get(dialogue.conversationId);
  const next = (await store.timers.pendingForDialogue(dialogue.id))[0];
  return {
    id: dialogue.id,
    machine: dialogue.machineId,
    version: dialogue.machineVersion,
    state: stateOf(dialogue.snapshot),
    channel: conversation?.channel ?? null,
    chatId: conversation?.chatId ?? null,
    phone: conversation?.phone ? maskPhone(conversation.phone) : null,
    recordId: dialogue.recordId,
    updatedAt: iso(dialogue.updatedAt),
    nextDeadline: next ? iso(next.dueAt) : null,
  };
}
