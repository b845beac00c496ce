/** Node-only test harness: the app over a SQLite file the test can reopen (restarts) and read directly. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import type { ServiceConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { readContentFiles } from '../../src/node/content-files.ts';
import { openSqliteStore } from '../../src/node/sqlite.ts';
import { compileContent, type RuleSet } from '../../src/rules/compile.ts';
import type { SourceFile } from '../../src/rules/source.ts';

let shipped: RuleSet | undefined;

/** The shipped rules/ and cards/, compiled once per test file. */
export async function shippedRuleSet(): Promise<RuleSet> {
  if (!shipped) {
    const { ruleSet, problems } = compileContent(await readContentFiles('.'));
    if (!ruleSet) throw new Error(`shipped content does not compile: ${JSON.stringify(problems)}`);
    shipped = ruleSet;
  }
  return shipped;
}

/** Compiles inline content, failing loudly on errors. */
export function compileInline(files: SourceFile[]): RuleSet {
  const { ruleSet, problems } = compileContent(files);
  if (!ruleSet) throw new Error(problems.map((p) => `${p.path}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  return ruleSet;
}

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
  const app = createApp({
    ruleSet: () => options.ruleSet ?? shipped!,
    store: database.store,
    config: options.config,
    fetch: options.fetch,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
  });
  if (!options.ruleSet) await shippedRuleSet();
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

/** POSTs JSON to the app. */
export function post(app: TestApp['app'], path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
