import type { ClientRow, Label } from './model.js';
import { ALMATY, MOSCOW, SEED_IDS } from './seed-ids.js';
import { addDays, localDay } from './time.js';

/** The seeded salon's client labels and clients, birthdays relative to `now`. */
export function labels(): Label[] {
  return [
    { id: SEED_IDS.labels.vip, title: 'VIP', color: '#f5a623', icon: 'star', entity: 1 },
    {
      id: SEED_IDS.labels.noNotifications,
      title: 'No notifications',
      color: '#9b9b9b',
      icon: 'bell-slash',
      entity: 1,
    },
    { id: SEED_IDS.labels.blacklist, title: 'Blacklist', color: '#d0021b', icon: 'ban', entity: 1 },
    { id: SEED_IDS.labels.recordOnline, title: 'Booked online', color: '#4a90e2', icon: 'globe', entity: 2 },
  ];
}

/** Same month and day as `day`, in a leap year so that a 29 February "today" stays valid. */
function birthdayOn(day: string, year: number): string {
  return `${year}${day.slice(4)}`;
}

export function clients(now: Date): ClientRow[] {
  const msk = localDay(now, MOSCOW);
  const ala = localDay(now, ALMATY);
  const at = now.getTime() - 90 * 86_400_000;
  const base = {
    surname: '',
    patronymic: '',
    email: '',
    sexId: 2 as const,
    importanceId: 0 as const,
    card: '',
    comment: '',
    discount: 0,
    smsCheck: 1 as const,
    smsNot: 0 as const,
    spent: 0,
    visits: 0,
    createdAt: at,
    lastChange: at,
  };
  const c = SEED_IDS.clients;
  const v = SEED_IDS.labels;
  return [
    {
      ...base,
      id: c.elena,
      companyId: 101,
      name: 'Elena',
      surname: 'Sokolova',
      phone: '79161234567',
      email: 'elena@example.com',
      birthDate: birthdayOn(msk, 1988),
      categoryIds: [v.vip],
      importanceId: 3,
      spent: 42000,
      visits: 14,
    },
    {
      ...base,
      id: c.irina,
      companyId: 101,
      name: 'Irina',
      surname: 'Kuznetsova',
      phone: '79169876543',
      birthDate: birthdayOn(addDays(msk, 1), 1992),
      categoryIds: [],
      spent: 5000,
      visits: 2,
    },
    {
      ...base,
      id: c.pavel,
      companyId: 101,
      name: 'Pavel',
      surname: 'Orlov',
      phone: '79031112233',
      birthDate: '',
      categoryIds: [v.noNotifications],
      sexId: 1,
      smsCheck: 0,
      smsNot: 1,
    },
    {
      ...base,
      id: c.svetlana,
      companyId: 101,
      name: 'Svetlana',
      surname: 'Belova',
      phone: '79035556677',
      birthDate: '1979-11-03',
      categoryIds: [v.blacklist],
    },
    {
      ...base,
      id: c.aliya,
      companyId: 102,
      name: 'Aliya',
      surname: 'Bekova',
      phone: '77011234567',
      birthDate: birthdayOn(addDays(ala, 7), 1996),
      categoryIds: [v.vip],
      importanceId: 2,
      visits: 6,
    },
    {
      ...base,
      id: c.timur,
      companyId: 102,
      name: 'Timur',
      surname: 'Akhmetov',
      phone: '77017654321',
      birthDate: '1990-07-15',
      categoryIds: [],
      sexId: 1,
    },
  ];
}
