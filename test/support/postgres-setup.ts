/**
 * globalSetup of the `postgres` vitest project: one real PostgreSQL server for the run (its own
 * temporary folder and free port, test/support/postgres-server.ts); each test app gets a fresh
 * database on it (test/support/runtime-node.ts).
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's maintenance database URL, when the run is the PostgreSQL project. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres();
  project.provide('postgresUrl', server.url());
  return () => server.close();
}
