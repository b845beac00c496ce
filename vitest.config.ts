/**
 * Two test projects, one `npm test`:
 * - `node`: everything, in Node (SQLite files, processes, fixtures on disk).
 * - `postgres`: the store-backed protocol suite again, over a real PostgreSQL server it starts.
 * - `workers`: the runtime-neutral protocol suite again, plus Worker-only tests, inside workerd
 *   (@cloudflare/vitest-pool-workers) with wrangler.toml's bindings and a real local D1 migrated
 *   from the same migrations folder. It needs build/content.json: `npm test` builds it first.
 */
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/** Protocol tests that need nothing Node-only. prefetch-fallback stays Node-only: it spawns a FHIR server process. */
export const SHARED_PROTOCOL_TESTS = ['test/protocol/discovery.test.ts', 'test/protocol/hook-call.test.ts', 'test/protocol/feedback.test.ts', 'test/protocol/lifecycle.test.ts', 'test/protocol/governance-api.test.ts', 'test/protocol/console-api.test.ts', 'test/protocol/budget.test.ts'];

/** The store-backed suite again against a real PostgreSQL: the shared protocol tests, the governance figures and replay. */
export const POSTGRES_TESTS = [...SHARED_PROTOCOL_TESTS, 'test/governance/stats.test.ts', 'test/governance/replay.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['test/worker/**'],
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: POSTGRES_TESTS,
          globalSetup: ['test/support/postgres-setup.ts'],
          pool: 'forks',
        },
      },
      {
        extends: true,
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations('src/store/migrations') } },
          })),
        ],
        test: {
          name: 'workers',
          include: [...SHARED_PROTOCOL_TESTS, 'test/worker/**/*.test.ts'],
          setupFiles: ['test/support/d1-setup.ts'],
        },
      },
    ],
  },
});
