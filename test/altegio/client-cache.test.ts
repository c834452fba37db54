import { describe, expect, it, vi } from 'vitest';
import { createCachedAltegio } from '../../src/altegio/cache.js';
import type { AltegioApi } from '../../src/altegio/client.js';
import type { AltegioService, Company } from '../../src/altegio/schemas.js';

function fakeClient() {
  const company = { id: 42, title: 'Salon' } as Company;
  const service = { id: 7, name: 'Cut' } as AltegioService;
  const mocks = {
    getCompany: vi.fn<AltegioApi['getCompany']>(async () => company),
    services: vi.fn<AltegioApi['services']>(async () => [service]),
    staff: vi.fn<AltegioApi['staff']>(async () => []),
    serviceCategories: vi.fn<AltegioApi['serviceCategories']>(async () => []),
    listCompanies: vi.fn<AltegioApi['listCompanies']>(async () => [company]),
    getRecord: vi.fn<AltegioApi['getRecord']>(async () => {
      throw new Error('not cached');
    }),
  };
  // Only the operations under test exist; the cache must not touch the others.
  const client = Object.assign(mocks, { withPriority: () => client }) as unknown as typeof mocks & AltegioApi;
  return client;
}

describe('reference-data cache', () => {
  it('serves repeats from memory until the TTL ends', async () => {
    let now = 0;
    const client = fakeClient();
    const cached = createCachedAltegio(client, { ttlMs: 1000, clock: { now: () => now } });
    await cached.getCompany(42);
    await cached.getCompany(42);
    await Promise.all([cached.services(42), cached.services(42)]); // concurrent misses share one call
    expect(client.getCompany).toHaveBeenCalledTimes(1);
    expect(client.services).toHaveBeenCalledTimes(1);
    now = 1001;
    await cached.getCompany(42);
    expect(client.getCompany).toHaveBeenCalledTimes(2);
  });

  it('keys services by naming/offline choice and by branch', async () => {
    const client = fakeClient();
    const cached = createCachedAltegio(client);
    await cached.services(42, { useWidgetNames: true });
    await cached.services(42, { useWidgetNames: false });
    await cached.services(43, { useWidgetNames: true });
    expect(client.services).toHaveBeenCalledTimes(3);
  });

  it('invalidate(companyId, resource) drops what a webhook changed, for that branch only', async () => {
    const client = fakeClient();
    const cached = createCachedAltegio(client);
    await Promise.all([cached.services(42), cached.services(43), cached.staff(42), cached.getCompany(42)]);
    cached.invalidate(42, 'service');
    await Promise.all([cached.services(42), cached.services(43), cached.staff(42), cached.getCompany(42)]);
    expect(client.services).toHaveBeenCalledTimes(3);
    expect(client.staff).toHaveBeenCalledTimes(1);
    cached.invalidate(42, 'staff');
    cached.invalidate(42, 'company');
    cached.invalidate(42, 'record'); // not reference data: ignored
    await Promise.all([cached.staff(42), cached.getCompany(42)]);
    expect(client.staff).toHaveBeenCalledTimes(2);
    expect(client.getCompany).toHaveBeenCalledTimes(2);
  });

  it('does not cache failures and passes other operations through', async () => {
    const client = fakeClient();
    client.getCompany.mockRejectedValueOnce(new Error('down'));
    const cached = createCachedAltegio(client);
    await expect(cached.getCompany(42)).rejects.toThrow('down');
    await expect(cached.getCompany(42)).resolves.toMatchObject({ id: 42 });
    await expect(cached.getRecord(42, 1)).rejects.toThrow('not cached');
  });

  it("a caller's abort ends only its own wait", async () => {
    const client = fakeClient();
    let resolve: (c: Company) => void = () => {};
    client.getCompany.mockImplementationOnce(() => new Promise<Company>((r) => (resolve = r)));
    const cached = createCachedAltegio(client);
    const controller = new AbortController();
    const mine = cached.getCompany(42, { signal: controller.signal });
    const theirs = cached.getCompany(42);
    controller.abort(new Error('left'));
    await expect(mine).rejects.toThrow('left');
    resolve({ id: 42 } as Company);
    await expect(theirs).resolves.toMatchObject({ id: 42 });
  });
});
