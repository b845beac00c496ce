import { defineConfig } from 'drizzle-kit';

/** The PostgreSQL dialect of the same schema (src/store/pg-schema.ts), its own migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg-schema.ts',
  out: './src/store/pg-migrations',
});
