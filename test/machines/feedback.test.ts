import { describe, expect, it } from 'vitest';
import { type Actor, createActor, fromPromise, type Snapshot } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { type FeedbackInput, feedbackMachine, RATING_OPTIONS } from '../../machines/feedback/index.js';
import type { TaskCreateIntent, UserEvent } from '../../machines/shared/events.js';
import {
  isPoorRating,
  MAX_COMMENT_LENGTH,
  normalizeComment,
  type SaveCommentRequest,
  type SaveRatingRequest,
} from '../../src/domain/feedback.js';
import { MachineDriver } from './driver.js';

const HOUR = 3_600_000;
const TTL = 24 * HOUR;
const LINK = 'https://maps.example.com/salon-centre/reviews';

const INPUT: FeedbackInput = {
  dialogueId: 'fb-1',
  text: 'Anna, how was your haircut with Boris? Please rate it from 1 to 5.',
  record: { companyId: 7, recordId: 501 },
  menuTtlMs: TTL,
  poorRatingAtMost: 3,
  reviewLink: LINK,
  createTaskOnPoorRating: true,
};

interface FakePort {
  saveRating: (request: SaveRatingRequest) => Promise<void>;
  saveComment: (request: SaveCommentRequest) => Promise<void>;
}

const defaultPort = (): FakePort => ({ saveRating: async () => {}, saveComment: async () => {} });

/** A call that rejects the first time, then resolves. */
function failingOnce<A extends unknown[]>(): (...args: A) => Promise<void> {
  let failed = false;
  return () => {
    if (failed) return Promise.resolve();
    failed = true;
    return Promise.reject(new Error('SQLITE_BUSY'));
  };
}

const visited = new Set<string>();

interface BotOptions {
  input?: Partial<FeedbackInput>;
  port?: Partial<FakePort>;
  snapshot?: Snapshot<unknown>;
}

/** Drives the feedback machine the way the runtime does, recording replies, tasks and deadlines. */
class Bot extends MachineDriver {
  readonly tasks: TaskCreateIntent[] = [];
  readonly calls = { saveRating: [] as SaveRatingRequest[], saveComment: [] as SaveCommentRequest[] };
  readonly actor: Actor<typeof feedbackMachine>;

  constructor(options: BotOptions = {}) {
    super();
    const port = { ...defaultPort(), ...options.port };
    const machine = feedbackMachine.provide({
      actors: {
        saveRating: fromPromise<void, SaveRatingRequest>(({ input }) => {
          this.calls.saveRating.push(input);
          return port.saveRating(input);
        }),
        saveComment: fromPromise<void, SaveCommentRequest>(({ input }) => {
          this.calls.saveComment.push(input);
          return port.saveComment(input);
        }),
      },
    });
    this.actor = createActor(machine, {
      clock: this.clock,
      input: { ...INPUT, ...options.input },
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      inspect: this.recorder(visited),
    });
    this.actor.on('reply', ({ message }) => this.replies.push(message));
    this.actor.on('task.create', (intent) => this.tasks.push(intent));
  }
}

const start = (options: BotOptions = {}) => new Bot(options).start();

describe('feedback machine: the request', () => {
  it('sends the rendered request first, with ratings 1 to 5 as stars', async () => {
    const bot = await start();
    expect(bot.state).toBe('rating.asking');
    expect(bot.replies).toEqual([
      {
        text: { key: 'feedback.request', params: { text: INPUT.text } },
        options: [
          { value: '1', label: '⭐' },
          { value: '2', label: '⭐⭐' },
          { value: '3', label: '⭐⭐⭐' },
          { value: '4', label: '⭐⭐⭐⭐' },
          { value: '5', label: '⭐⭐⭐⭐⭐' },
        ],
      },
    ]);
    expect(RATING_OPTIONS).toHaveLength(5);
    expect(bot.timers).toEqual([{ event: 'xstate.after.menuTtl.feedback.rating', delay: TTL }]);
  });
});

describe('feedback machine: a good rating', () => {
  it('saves it and thanks with the review link', async () => {
    const bot = await start();
    await bot.choose('5');
    expect(bot.calls.saveRating).toEqual([
      { companyId: 7, recordId: 501, rating: 5, idempotencyKey: 'fb-1:rating' },
    ]);
    expect(bot.state).toBe('thanked');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'feedback.thanksReview', params: { link: LINK } } });
    expect(bot.tasks).toEqual([]);
  });

  it.each([
    ['no link', undefined],
    ['an empty link', '  '],
  ])('just thanks when the branch has %s', async (_, reviewLink) => {
    const bot = await start({ input: { reviewLink } });
    await bot.choose('4');
    expect(bot.state).toBe('thanked');
    expect(bot.last).toEqual({ text: { key: 'feedback.thanks' } });
  });

  it('reads the lowest good rating as good', async () => {
    const bot = await start({ input: { poorRatingAtMost: 2 } });
    await bot.choose('3');
    expect(bot.state).toBe('thanked');
  });
});

describe('feedback machine: a poor rating', () => {
  it('saves it, apologises, files a task, and stores the comment the client writes', async () => {
    const bot = await start();
    await bot.choose('2');
    expect(bot.calls.saveRating).toEqual([
      { companyId: 7, recordId: 501, rating: 2, idempotencyKey: 'fb-1:rating' },
    ]);
    expect(bot.state).toBe('commenting.waiting');
    expect(bot.last).toEqual({ text: { key: 'feedback.poor' } });
    expect(bot.tasks).toEqual([
      { type: 'task.create', kind: 'poor-rating', companyId: 7, recordId: 501, rating: 2 },
    ]);

    await bot.text('  The master was 40 minutes late.  ');
    expect(bot.calls.saveComment).toEqual([
      {
        companyId: 7,
        recordId: 501,
        comment: 'The master was 40 minutes late.',
        idempotencyKey: 'fb-1:comment',
      },
    ]);
    expect(bot.state).toBe('commented');
    expect(bot.status).toBe('done');
    expect(bot.keys).toEqual(['feedback.request', 'feedback.poor', 'feedback.commentThanks']);
    expect(bot.tasks).toHaveLength(1);
  });

  it('reads a rating equal to poorRatingAtMost as poor', async () => {
    const bot = await start();
    await bot.choose('3');
    expect(bot.state).toBe('commenting.waiting');
  });

  it('files no task when the salon turned tasks on poor ratings off', async () => {
    const bot = await start({ input: { createTaskOnPoorRating: false } });
    await bot.choose('1');
    expect(bot.last.text.key).toBe('feedback.poor');
    expect(bot.tasks).toEqual([]);
    await bot.text('Too cold in the room');
    expect(bot.state).toBe('commented');
  });

  it('gives the comment its own window, counted from the apology', async () => {
    const bot = await start({ input: { commentWaitMs: 2 * HOUR } });
    await bot.wait(TTL - 1);
    await bot.choose('1');
    expect(bot.state).toBe('commenting.waiting');
    expect(bot.timers.at(-1)).toEqual({
      event: 'xstate.after.commentWait.feedback.commenting',
      delay: 2 * HOUR,
    });
    // The rating menu's deadline is gone with the menu.
    await bot.wait(1);
    expect(bot.state).toBe('commenting.waiting');
    await bot.wait(2 * HOUR - 2);
    expect(bot.state).toBe('commenting.waiting');
    await bot.text('Late again');
    expect(bot.state).toBe('commented');
  });

  it('ends quietly when no comment comes (menuTtl by default), keeping the rating and the task', async () => {
    const bot = await start();
    await bot.choose('2');
    expect(bot.timers.at(-1)?.delay).toBe(TTL);
    await bot.wait(TTL);
    expect(bot.state).toBe('noComment');
    expect(bot.status).toBe('done');
    expect(bot.keys).toEqual(['feedback.request', 'feedback.poor']);
    expect(bot.tasks).toHaveLength(1);
  });

  it('answers a rating pressed again, empty text, contacts and commands without leaving the comment step', async () => {
    const bot = await start();
    await bot.choose('2');
    await bot.choose('5');
    expect(bot.last.text.key).toBe('feedback.alreadyRated');
    await bot.text('   ');
    expect(bot.last.text.key).toBe('feedback.commentHint');
    await bot.send({ type: 'user.contact', phone: '+79161234567' });
    expect(bot.last.text.key).toBe('feedback.commentHint');
    await bot.send({ type: 'user.command', name: 'cancel' });
    expect(bot.last.text.key).toBe('feedback.commentHint');
    expect(bot.state).toBe('commenting.waiting');
    expect(bot.calls.saveRating).toHaveLength(1);
    expect(bot.calls.saveComment).toEqual([]);
  });

  it('takes a digit written after a poor rating as the comment', async () => {
    const bot = await start();
    await bot.choose('1');
    await bot.text('5');
    expect(bot.calls.saveComment[0]?.comment).toBe('5');
  });

  it('asks to send the comment again when it could not be saved, keeping the window', async () => {
    const bot = await start({ port: { saveComment: failingOnce() } });
    await bot.choose('2');
    await bot.text('Rude receptionist');
    expect(bot.last).toEqual({ text: { key: 'feedback.commentFailed' } });
    expect(bot.state).toBe('commenting.waiting');
    // Neither the apology nor the task is repeated, and the window is not restarted.
    expect(bot.keys.filter((key) => key === 'feedback.poor')).toHaveLength(1);
    expect(bot.tasks).toHaveLength(1);
    expect(bot.timers.filter((timer) => timer.event.includes('commentWait'))).toHaveLength(1);
    await bot.text('Rude receptionist');
    expect(bot.state).toBe('commented');
    expect(bot.calls.saveComment).toHaveLength(2);
  });

  it('caps a very long comment', async () => {
    const bot = await start();
    await bot.choose('1');
    await bot.text('a'.repeat(10_000));
    expect(bot.calls.saveComment[0]?.comment).toHaveLength(MAX_COMMENT_LENGTH);
  });
});

describe('feedback machine: ratings as text', () => {
  it.each([
    ['5', 'thanked'],
    [' 4 ', 'thanked'],
    ['1.', 'commenting.waiting'],
    ['2)', 'commenting.waiting'],
  ])('takes %j typed as a rating', async (text, state) => {
    const bot = await start();
    await bot.text(text);
    expect(bot.state).toBe(state);
    expect(bot.calls.saveRating[0]?.rating).toBe(Number.parseInt(text.trim(), 10));
  });

  it('repeats the ratings for text that is not one', async () => {
    const bot = await start();
    for (const text of ['great!', '6', '0', '10']) {
      await bot.text(text);
      expect(bot.last.text).toEqual({ key: 'feedback.chooseRating' });
      expect(bot.last.options?.map((option) => option.value)).toEqual(['1', '2', '3', '4', '5']);
    }
    await bot.send({ type: 'user.contact', phone: '+79161234567' });
    await bot.send({ type: 'user.command', name: 'back' });
    expect(bot.last.text.key).toBe('feedback.chooseRating');
    expect(bot.state).toBe('rating.asking');
    expect(bot.calls.saveRating).toEqual([]);
  });
});

describe('feedback machine: stale choices and failures', () => {
  it('answers a button that is not a rating of this menu without acting on it', async () => {
    const bot = await start();
    for (const value of ['6', 'confirm', 'svc:1']) {
      await bot.choose(value);
      expect(bot.last).toEqual({ text: { key: 'feedback.oldMenu' } });
    }
    expect(bot.state).toBe('rating.asking');
    expect(bot.calls.saveRating).toEqual([]);
  });

  it('asks to rate again when the rating could not be saved, without restarting the deadline', async () => {
    const bot = await start({ port: { saveRating: failingOnce() } });
    await bot.wait(10 * HOUR);
    await bot.choose('2');
    expect(bot.last).toEqual({ text: { key: 'feedback.saveFailed' } });
    expect(bot.state).toBe('rating.asking');
    expect(bot.tasks).toEqual([]);
    expect(bot.timers).toHaveLength(1);
    await bot.wait(TTL - 10 * HOUR);
    expect(bot.state).toBe('timedOut');
  });

  it('asks for patience while a rating is being saved', async () => {
    let release: () => void = () => {};
    const bot = await start({
      port: { saveRating: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    bot.actor.send({ type: 'user.choice', value: '5' });
    expect(bot.state).toBe('rating.saving');
    bot.actor.send({ type: 'user.choice', value: '1' });
    expect(bot.last.text.key).toBe('feedback.pleaseWait');
    release();
    await bot.settle();
    expect(bot.state).toBe('thanked');
    expect(bot.calls.saveRating).toHaveLength(1);
  });

  it('asks for patience while a comment is being saved', async () => {
    let release: () => void = () => {};
    const bot = await start({
      port: { saveComment: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    await bot.choose('1');
    bot.actor.send({ type: 'user.text', text: 'Too loud' });
    expect(bot.state).toBe('commenting.saving');
    bot.actor.send({ type: 'user.text', text: 'and cold' });
    expect(bot.last.text.key).toBe('feedback.pleaseWait');
    release();
    await bot.settle();
    expect(bot.state).toBe('commented');
  });
});

describe('feedback machine: the menu deadline', () => {
  it('closes the rating menu after menuTtl and says so at once', async () => {
    const bot = await start();
    await bot.wait(TTL - 1);
    expect(bot.state).toBe('rating.asking');
    await bot.wait(1);
    expect(bot.state).toBe('timedOut');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'feedback.timedOut' } });
    expect(bot.calls.saveRating).toEqual([]);
  });

  it('a good rating ends the dialogue, so no deadline is left behind', async () => {
    const bot = await start();
    await bot.choose('5');
    await bot.wait(TTL);
    expect(bot.keys).toEqual(['feedback.request', 'feedback.thanksReview']);
  });
});

describe('feedback machine: persistence', () => {
  it('resumes mid-comment from a JSON round-tripped snapshot, replaying nothing', async () => {
    const first = await start();
    await first.choose('2');
    const stored = first.persisted();
    first.actor.stop();

    const second = await new Bot({ snapshot: stored }).start();
    expect(second.state).toBe('commenting.waiting');
    expect(second.replies).toEqual([]);
    expect(second.tasks).toEqual([]);
    await second.text('Waited half an hour');
    expect(second.state).toBe('commented');
    expect(second.calls.saveComment[0]).toEqual({
      companyId: 7,
      recordId: 501,
      comment: 'Waited half an hour',
      idempotencyKey: 'fb-1:comment',
    });
  });

  it('resumes an open rating menu and reads ratings against it', async () => {
    const first = await start();
    const stored = first.persisted();
    first.actor.stop();
    const second = await new Bot({ snapshot: stored }).start();
    await second.choose('9');
    expect(second.last.text.key).toBe('feedback.oldMenu');
    await second.text('4');
    expect(second.state).toBe('thanked');
  });

  it('a restored comment step takes its stored deadline as the runtime delivers it', async () => {
    const first = await start();
    await first.choose('1');
    const due = first.timers.at(-1)?.event ?? '';
    const stored = first.persisted();
    first.actor.stop();
    const second = await new Bot({ snapshot: stored }).start();
    second.actor.send({ type: due } as unknown as UserEvent);
    expect(second.state).toBe('noComment');
  });

  it('keeps only plain data in context', async () => {
    const bot = await start();
    await bot.choose('2');
    const { context } = bot.actor.getSnapshot();
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });
});

describe('feedback rules', () => {
  it('calls a rating poor at or below the limit', () => {
    expect(isPoorRating(3, 3)).toBe(true);
    expect(isPoorRating(4, 3)).toBe(false);
    expect(isPoorRating(1, 1)).toBe(true);
  });

  it('normalises comments', () => {
    expect(normalizeComment('  \n ')).toBeNull();
    expect(normalizeComment(' ok ')).toBe('ok');
    expect(normalizeComment('x'.repeat(MAX_COMMENT_LENGTH + 5))?.endsWith('…')).toBe(true);
  });
});

describe('feedback machine: structure', () => {
  it('declares the actors, named delays and the stable id the runtime relies on', () => {
    expect(feedbackMachine.id).toBe('feedback');
    expect(Object.keys(feedbackMachine.implementations.actors).sort()).toEqual(['saveComment', 'saveRating']);
    expect(Object.keys(feedbackMachine.implementations.delays).sort()).toEqual(['commentWait', 'menuTtl']);
  });

  it('tags every state that saves busy, and no other', () => {
    for (const node of getStateNodes(feedbackMachine)) {
      expect(node.tags.includes('busy'), node.id).toBe(node.invoke.length > 0);
    }
  });

  // Must stay last: it checks what the tests above visited.
  it('the tests above visit every state of the machine', () => {
    const paths = getStateNodes(feedbackMachine)
      .map((node) => node.id.replace(/^feedback\./, ''))
      .filter((path) => path !== 'feedback');
    const unvisited = paths.filter(
      (path) => ![...visited].some((seen) => seen === path || seen.startsWith(`${path}.`)),
    );
    expect(unvisited).toEqual([]);
  });
});
