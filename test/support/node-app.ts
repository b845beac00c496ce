/** Node-only test harness: the app over a SQLite file the test can reopen (restarts) and read directly. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import type { ServiceConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import type { RuleSet } from '../../src/rules/compile.ts';
import { shippedRuleSet } from './app.ts';

// Content helpers are the runtime-neutral harness's; only the app over a reopenable file is Node's.
export { compileInline, post, shippedRuleSet } from './app.ts';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  database: ReturnType<typeof openSqliteStore>;
  dbPath: string;
  logs: string[];
  close(): void;
}

/** `dbPath`: reopen an existing SQLite file (a restart); the caller then owns the file. */
export async function testApp(
  options: { ruleSet?: RuleSet; config?: Partial<ServiceConfig>; fetch?: typeof fetch; dbPath?: string } = {},
): Promise<TestApp> {
  const dir = options.dbPath ? undefined : mkdtempSync(join(tmpdir(), 'cds-test-'));
  const dbPath = options.dbPath ?? join(dir!, 'cds.sqlite');
  const database = openSqliteStore(dbPath);
  const logs: string[] = [];
  const ruleSet = options.ruleSet ?? (await shippedRuleSet());
  const app = createApp({
    ruleSet: () => ruleSet,
    store: database.store,
    // As `npm start` outside production: the test FHIR servers listen on 127.0.0.1.
    config: { allowPrivateFhirServers: true, ...options.config },
    fetch: options.fetch,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
  });
  return {
    app,
    database,
    dbPath,
    logs,
    close() {
      database.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
