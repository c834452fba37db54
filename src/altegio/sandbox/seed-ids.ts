/**
 * The default seeded salon: a two-branch chain in different zones. Ids are fixed so that tests in
 * other modules can name them; dates are relative to the injected `now` so the data never goes
 * stale (records "tomorrow", birthdays "today").
 */
export const SEED_IDS = {
  group: 100,
  companies: { centre: 101, riverside: 102 },
  categories: { centreHair: 201, centreNails: 202, riversideFace: 203, riversideHair: 204 },
  services: {
    womensHaircut: 301,
    colouring: 302,
    mensHaircut: 303,
    manicure: 304,
    consultationOffline: 305,
    facial: 306,
    massage: 307,
    haircutStyling: 308,
    bodyWrap: 309,
  },
  staff: { anna: 1001, maria: 1002, olga: 1003, dmitryHidden: 1006, aigerim: 1004, daniyar: 1005 },
  labels: { vip: 401, noNotifications: 402, blacklist: 403, recordOnline: 411 },
  clients: { elena: 501, irina: 502, pavel: 503, svetlana: 504, aliya: 505, timur: 506 },
  records: {
    centreTomorrow: 601,
    centrePrepaid: 602,
    centreBlocked: 603,
    centreYesterday: 604,
    centreDeleted: 605,
    riversideTomorrow: 606,
  },
} as const;

export const MOSCOW = 'Europe/Moscow';
export const ALMATY = 'Asia/Almaty';
