/**
 * The parts of workerd's own modules this project uses. The full typings
 * (@cloudflare/workers-types as globals) clash with the DOM and Node typings the rest of the
 * project compiles against; the value types come from its importable form.
 */
declare module 'cloudflare:workers' {
  /** The Worker's bindings and vars (wrangler.toml), readable in global scope. */
  export const env: Readonly<Record<string, unknown>>;
  /** The Worker's own handlers (wrangler.toml `main`), callable in process in tests. */
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
