/**
 * The web console driven in a real headless Chromium (playwright-core, Debian's chromium) against
 * the engine on the sandbox salon over HTTP: what an admin clicks, checked in `GET /api/settings`,
 * in the settings file and in the store.
 */
import { readFileSync } from 'node:fs';
import { formatInTimeZone } from 'date-fns-tz';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createWorld, type World } from '../e2e/harness.js';
import { type Browser, launchChromium } from '../helpers/chromium.js';
import { eventually } from '../helpers/eventually.js';

const TOKEN = 'admin-token';
const REMINDED = '+79160005566';
const BLOCKED_CLIENT = '+79160007788';
const BROWSER_TEST_MS = 60_000;

let world: World;
let browser: Browser;
let page: Page;
let base: string;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  return (await response.json()) as T;
}
type SettingsDoc = Record<string, Record<string, unknown>> & { branches: Record<string, unknown>[] };
const apiSettings = () => api<SettingsDoc>('/api/settings');
const fileSettings = () => parse(readFileSync(world.settingsFile, 'utf8')) as SettingsDoc;

/** A visit an hour and a few seconds ahead, so that its 60-minute reminder falls due at once. */
function createVisit(phone: string, staffId: number) {
  const start = new Date(Date.now() + 3_600_000 + 3_000);
  start.setUTCMilliseconds(0);
  return world.sandbox.control.createRecord(101, {
    staff_id: staffId,
    services: [{ id: 301 }],
    client: { phone, name: 'Vera' },
    datetime: start.toISOString(),
    save_if_busy: 1,
  });
}

/** Saves one settings subsection and waits for its answer. */
async function save(section: string, button = 'Save'): Promise<void> {
  const form = page.locator(`section#${section}`);
  // The last save's outcome goes first, so that only this save's answer is waited for.
  await form.locator('.outcome').evaluate((element) => element.replaceChildren());
  await form.getByRole('button', { name: button }).first().click();
  await page.locator(`section#${section} .saved, section#${section} .problems`).waitFor();
}

beforeAll(async () => {
  world = await createWorld({
    general: { adminPhone: '79990000001' },
    records: { groupingWindow: '1s' },
    booking: { notifyBlockedStaffIds: [1002] },
    branches: [{ id: 101, address: 'Tverskaya st. 12' }, { id: 102 }],
    variables: { language: 'en' },
    templates: [
      { kind: 'new-record', text: 'New visit: {{services}} at {{time}}' },
      { kind: 'reminder', text: 'Reminder: {{services}} at {{time}}', offset: '60m' },
    ],
    tasks: { onStatusChange: [{ status: 'came', title: 'Thank the client' }] },
  });
  const info = await world.startEngine();
  base = info.url;
  browser = await launchChromium();
  page = await browser.context.newPage();
}, BROWSER_TEST_MS);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

describe('web console in a browser', () => {
  it(
    'signs in with ADMIN_TOKEN into an HttpOnly session cookie, after refusing a wrong token',
    async () => {
      await page.goto(`${base}/?lang=en`);
      await page.getByLabel('Admin token').fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('That is not the admin token').waitFor();
      await page.getByLabel('Admin token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('section#chatbot').waitFor();
      const cookies = await browser.context.cookies();
      const session = cookies.find((cookie) => cookie.name === 'console_session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Strict');
      const content = await page.content();
      expect(content).not.toContain(TOKEN);
      // The administrator's phone is shown masked, like every phone in the console.
      expect(content).not.toContain('9990000001');
      expect(content).toContain('+7***0001');
    },
    BROWSER_TEST_MS,
  );

  it('offers the sandbox staff by name for the block list, the blocked one checked', async () => {
    const list = page.locator('section#chatbot fieldset', { hasText: 'Notification block list' });
    expect(await list.getByLabel('Anna Petrova (Beauty Lab Centre)').isChecked()).toBe(false);
    expect(await list.getByLabel('Maria Ivanova (Beauty Lab Centre)').isChecked()).toBe(true);
    expect(await list.getByText('Aigerim Nurlanova').count()).toBe(1);
  });

  it('lists the client categories each branch has in the sandbox', async () => {
    const section = page.locator('section#categories');
    const centre = section.locator('fieldset', { hasText: 'Beauty Lab Centre' });
    await centre.getByLabel('VIP').waitFor();
    await centre.getByLabel('Blacklist').waitFor();
    // Record labels (entity 2) are not client categories.
    expect(await section.getByText('Booked online').count()).toBe(0);
  });

  it(
    "shows each branch's last sync with Altegio once the start-up sync ran",
    async () => {
      const card = page.locator('section#branches article', { hasText: 'Beauty Lab Centre' });
      // The page may have been drawn before the start-up sync finished: reload until it shows.
      await eventually(
        async () => {
          if ((await card.locator('.branch-sync time').count()) === 0) {
            await page.reload();
            throw new Error('no sync time on the card yet');
          }
        },
        20_000,
        250,
      );
      const line = await card.locator('.branch-sync').innerText();
      expect(line).toMatch(/^Last sync with Altegio: \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      expect(line).not.toContain('not yet synced');
      const at = Date.parse((await card.locator('.branch-sync time').getAttribute('datetime')) ?? '');
      expect(Math.abs(Date.now() - at)).toBeLessThan(3_600_000);
      // Written in the salon's time zone, like the console's other times.
      const zone = String((await apiSettings()).general?.timezone);
      expect(line).toContain(formatInTimeZone(at, zone, 'yyyy-MM-dd HH:mm'));
    },
    BROWSER_TEST_MS,
  );

  it(
    'changes one setting of every subsection: applied at once and written to the file',
    async () => {
      const chatbot = page.locator('section#chatbot');
      await chatbot.getByLabel('Ask for the full name').check();
      await chatbot.getByLabel('Anna Petrova (Beauty Lab Centre)').check();
      await save('chatbot');

      const records = page.locator('section#records');
      // The colour picker is there only when confirmation is by colour.
      await records.getByLabel('Confirmed record colour').waitFor({ state: 'hidden' });
      await records.getByLabel('Paint the record in the confirmation colour').check();
      await records.getByLabel('Confirmed record colour').fill('#ff8800');
      await save('records');

      await page.locator('section#feedback').getByLabel('Rating menu lifetime').fill('12h');
      await save('feedback');
      await page.locator('section#birthdays').getByLabel('Sending time').fill('09:30');
      await save('birthdays');
      await page.locator('section#branches').getByLabel('Review link').first().fill('https://example.com/r');
      await save('branches');
      await page
        .locator('section#categories fieldset', { hasText: 'Beauty Lab Centre' })
        .getByLabel('VIP')
        .check();
      await save('categories');
      // The default language's values are open; en here.
      await page.locator('section#variables details[open]').getByLabel('{{client_name}}').fill('Dear guest');
      await save('variables');
      await page.locator('section#tasks').getByLabel('Task on a poor rating').uncheck();
      await save('tasks');

      for (const settings of [await apiSettings(), fileSettings()]) {
        expect(settings.booking?.askFullName).toBe(true);
        expect(settings.booking?.notifyBlockedStaffIds).toEqual([1001, 1002]);
        expect(settings.records?.confirmation).toBe('color');
        expect(settings.records?.confirmedColor).toBe('#ff8800');
        expect(settings.feedback?.menuTtl).toBe('12h');
        expect(settings.birthdays?.sendAt).toBe('09:30');
        expect(settings.branches[0]).toMatchObject({ id: 101, reviewLink: 'https://example.com/r' });
        expect(settings.branches[0]?.excludedClientCategoryIds).toEqual([401]);
        expect(settings.branches[1]).toMatchObject({ id: 102, reviewLink: '' });
        expect(
          (settings.variables?.overrides as Record<string, Record<string, string>> | undefined)?.en
            ?.client_name,
        ).toBe('Dear guest');
        expect(settings.tasks?.onPoorRating).toBe(false);
      }
      // A change saved in one subsection did not undo another saved before it.
      expect((await apiSettings()).booking?.askFullName).toBe(true);
    },
    BROWSER_TEST_MS,
  );

  it(
    'resets a variable to its default',
    async () => {
      const section = page.locator('section#variables');
      await section.locator('.outcome').evaluate((element) => element.replaceChildren());
      await section
        .locator('details[open] .variable-row')
        .first()
        .getByRole('button', { name: 'Reset' })
        .click();
      await section.locator('.saved').waitFor();
      const overrides = (await apiSettings()).variables?.overrides as Record<string, Record<string, string>>;
      expect(overrides.en?.client_name).toBeUndefined();
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows a bad value its API message next to the field and changes nothing',
    async () => {
      const before = readFileSync(world.settingsFile, 'utf8');
      const refused = await api<{ problems: { path: string; message: string }[] }>('/api/settings', {
        method: 'PUT',
        body: JSON.stringify({ records: { confirmMenuTtl: 'soon' } }),
      });
      const message = refused.problems.find((p) => p.path === 'records.confirmMenuTtl')?.message ?? '';
      expect(message).not.toBe('');

      const field = page.locator('section#records').getByLabel('Confirm/cancel menu lifetime');
      await field.fill('soon');
      await save('records');
      const error = page.locator('#f-records-confirmMenuTtl-error');
      await error.waitFor();
      expect(await error.textContent()).toBe(message);
      const refusedField = page.locator('section#records').getByLabel('Confirm/cancel menu lifetime');
      expect(await refusedField.getAttribute('aria-invalid')).toBe('true');
      expect(await refusedField.getAttribute('aria-describedby')).toContain('f-records-confirmMenuTtl-error');
      expect(await page.locator('section#records [role="alert"]').textContent()).toContain('Not saved');
      expect((await apiSettings()).records?.confirmMenuTtl).toBe('24h');
      expect(readFileSync(world.settingsFile, 'utf8')).toBe(before);
    },
    BROWSER_TEST_MS,
  );

  it(
    'refuses a save made on a stale page with the conflict message',
    async () => {
      await page.reload();
      await page.locator('section#feedback').waitFor();
      // Another admin changes the settings after this page was loaded.
      await api('/api/settings', { method: 'PUT', body: JSON.stringify({ feedback: { menuTtl: '6h' } }) });
      await page.locator('section#feedback').getByLabel('Rating menu lifetime').fill('3h');
      await save('feedback');
      await page.locator('section#feedback').getByText('someone else changed the settings').waitFor();
      expect((await apiSettings()).feedback?.menuTtl).toBe('6h');
    },
    BROWSER_TEST_MS,
  );

  it(
    'speaks Russian when asked, with the seed explanations, and saves from the keyboard',
    async () => {
      await page.goto(`${base}/console/settings?lang=ru`);
      await page.getByRole('heading', { level: 1, name: 'Настройки – Altegio' }).waitFor();
      await page.getByText('все уведомления о записях Altegio приходят на телефон администратора').waitFor();
      const section = page.locator('section#feedback');
      const field = section.getByLabel('Время жизни меню оценки');
      await field.fill('5h');
      await field.press('Enter');
      await section.getByText('Сохранено').waitFor();
      expect((await apiSettings()).feedback?.menuTtl).toBe('5h');
      await page.goto(`${base}/console/settings?lang=en`);
      await page.getByRole('heading', { level: 1, name: 'Settings – Altegio' }).waitFor();
    },
    BROWSER_TEST_MS,
  );

  it(
    'previews a template with the engine renderer and marks an unknown variable while typing',
    async () => {
      await page.goto(`${base}/console/templates`);
      const card = page.locator('article.template', { hasText: 'Reminder' });
      await card.getByLabel('Text').fill('Hi {{client_name}}, {{services}} at {{time}} {{colour}}');
      await card.locator('.preview mark', { hasText: '{{colour}}' }).waitFor();
      expect(await card.locator('.preview-text').textContent()).toBe("Hi Olga, Women's haircut at 10:00 ");
    },
    BROWSER_TEST_MS,
  );

  it(
    'marks a task done',
    async () => {
      const visit = createVisit('+79160001122', 1001);
      world.sandbox.control.setAttendance(101, Number(visit.id), 1);
      await eventually(
        () => api<{ title: string }[]>('/api/tasks?done=false').then((l) => l.length > 0),
        10_000,
      );
      await page.goto(`${base}/console/tasks`);
      const row = page.locator('tr', { hasText: 'Thank the client' });
      await row.getByRole('button', { name: 'Mark done' }).click();
      await row.getByText('Done').waitFor();
      const done = await api<{ title: string; done: boolean }[]>('/api/tasks?done=true');
      expect(done.map((task) => task.title)).toContain('Thank the client');
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows an active dialogue with a masked phone and its statechart, current state highlighted',
    async () => {
      createVisit(REMINDED, 1001);
      await eventually(() => world.whatsapp.sent.some((m) => m.text.startsWith('Reminder')), 15_000);
      await page.goto(`${base}/console/dialogues`);
      const row = page.locator('tr', { hasText: 'reminder' });
      await row.getByText('+7***5566').waitFor();
      expect(await page.content()).not.toContain('79160005566');
      await row.getByRole('link').click();
      const active = page.locator('svg.statechart g.state.active[data-state="reminder.menu.waiting"]');
      await active.waitFor();
      expect(await page.locator('svg.statechart g.state').count()).toBeGreaterThan(5);
    },
    BROWSER_TEST_MS,
  );

  it(
    'finds a suppressed delivery by phone, with its reason',
    async () => {
      createVisit(BLOCKED_CLIENT, 1002);
      await eventually(
        () => api<{ decision: string }[]>('/api/deliveries?phone=79160007788').then((l) => l.length > 0),
        10_000,
      );
      await page.goto(`${base}/console/deliveries`);
      await page.getByLabel('Phone or record id').fill('+7 916 000-77-88');
      await page.getByRole('button', { name: 'Find' }).click();
      const row = page.locator('tr.decision-suppressed');
      await row.first().waitFor();
      const text = (await row.first().textContent()) ?? '';
      expect(text).toContain('every staff member of the record is on the block list');
      expect(text).toContain('+7***7788');
    },
    BROWSER_TEST_MS,
  );
});
