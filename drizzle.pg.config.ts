import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit reads this to generate `drizzle-pg/` from the Postgres schema
 * (`npx drizzle-kit generate --config drizzle.pg.config.ts`). Like `drizzle.config.ts`, no
 * credentials: the engine applies the migrations itself when it opens the store (`src/store/pg/`).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg/schema.ts',
  out: './drizzle-pg',
  strict: true,
});
