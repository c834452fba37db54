import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit reads this to generate `drizzle/` from the schema (`npm run db:generate`).
 * No credentials: the engine applies migrations itself at start-up (`src/store/db.ts`), so the
 * kit never needs to touch a database.
 */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './drizzle',
  strict: true,
});
