/**
 * The workerd side of the test harness (vitest-pool-workers): the D1 binding of wrangler.toml,
 * a real local D1 migrated from src/store/migrations (test/support/d1-setup.ts), and the content
 * bundle the Worker build writes (build/content.json).
 */
import type { D1Database } from '@cloudflare/workers-types';
import { env } from 'cloudflare:workers';
import content from '../../build/content.json';
import { openD1Store } from '../../src/worker/d1.ts';
import type { TestDatabase } from './runtime.ts';

export const name = 'workerd';

const DB = env.DB as D1Database;

export const contentFiles = async () => content.files;

/**
 * All apps of a test file share the file's D1 database (the pool keeps test files apart), so
 * tests find their rows by what is unique to them (hook instance, card uuid), as they do in Node.
 */
export async function openDatabase(): Promise<TestDatabase> {
  return {
    store: openD1Store(DB),
    async rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
      const { results } = await DB.prepare(sql).bind(...params).all<T>();
      return results;
    },
    async close() {},
  };
}
