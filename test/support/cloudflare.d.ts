/**
 * The parts of the workerd test modules the tests use. The full typings
 * (@cloudflare/vitest-pool-workers/types) are ambient Worker globals that clash with the DOM and
 * Node typings the rest of the project compiles against.
 */
declare module 'cloudflare:workers' {
  import type { D1Database } from '@cloudflare/workers-types';
  export const env: { DB: D1Database; TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]; [name: string]: unknown };
  /** The Worker's own handlers (wrangler.toml `main`), called in process. */
  export const exports: { default: { fetch(input: string | Request, init?: RequestInit): Promise<Response> } };
}

declare module 'cloudflare:test' {
  import type { D1Database } from '@cloudflare/workers-types';
  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export function applyD1Migrations(db: D1Database, migrations: D1Migration[], migrationsTableName?: string): Promise<void>;
}
