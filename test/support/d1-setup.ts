/** workerd project setup: applies src/store/migrations (read in Node by vitest.config.ts) to the local D1. */
import type { D1Database } from '@cloudflare/workers-types';
import { applyD1Migrations, type D1Migration } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB as D1Database, env.TEST_MIGRATIONS as D1Migration[]);
