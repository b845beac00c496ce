/** workerd project setup: applies src/store/migrations (read in Node by vitest.config.ts) to the local D1. */
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
