/**
 * Builds the service as tests use it: the real app over a real database, on whichever runtime
 * runs the test file. In Node that is a SQLite file (src/node/sqlite.ts) and the content read
 * from disk; in workerd (the `workers` vitest project) it is the D1 binding and the content
 * bundled the way the Worker build bundles it. Tests read stored rows back through `rows()`,
 * plain SQL over the same drizzle schema, so the protocol suite runs unchanged on both.
 */
import { type AppDeps, createApp } from '../../src/app.ts';
import type { ServiceConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { compileContent, type RuleSet } from '../../src/rules/compile.ts';
import type { SourceFile } from '../../src/rules/source.ts';
import type { TestRuntime } from './runtime.ts';

/** workerd identifies itself so; Node 20 has no `navigator`. */
export const inWorkerd = typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

// Loaded lazily so that each runtime only ever evaluates its own module (better-sqlite3 cannot
// load in workerd, `cloudflare:*` modules do not exist in Node).
const runtime: TestRuntime = inWorkerd ? await import('./runtime-workerd.ts') : await import('./runtime-node.ts');

let shipped: RuleSet | undefined;

/** The shipped rules/ and cards/, compiled once per test file. */
export async function shippedRuleSet(): Promise<RuleSet> {
  if (!shipped) {
    const { ruleSet, problems } = compileContent(await runtime.contentFiles());
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
  /** Which runtime and database the app runs on ('node' with SQLite, 'workerd' with D1). */
  runtime: TestRuntime['name'];
  logs: string[];
  /** The app's store (its `db` is what the governance figures query). */
  store: import('../../src/store/store.ts').Store;
  /** Rows of a SELECT, read outside the app's store (a second SQLite connection; the D1 binding). */
  rows<T = Record<string, any>>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function testApp(
  options: { ruleSet?: RuleSet | (() => RuleSet); config?: Partial<ServiceConfig>; fetch?: typeof fetch; now?: () => Date; consoleAssets?: AppDeps['consoleAssets'] } = {},
): Promise<TestApp> {
  const database = await runtime.openDatabase();
  const logs: string[] = [];
  const app = createApp({
    ruleSet: typeof options.ruleSet === 'function' ? options.ruleSet : () => (options.ruleSet as RuleSet | undefined) ?? shipped!,
    store: database.store,
    // As `npm start` outside production: the test FHIR servers listen on 127.0.0.1.
    config: { allowPrivateFhirServers: true, ...options.config },
    fetch: options.fetch,
    now: options.now,
    consoleAssets: options.consoleAssets,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
  });
  if (!options.ruleSet) await shippedRuleSet();
  return { app, runtime: runtime.name, logs, store: database.store, rows: database.rows, close: database.close };
}

/** POSTs JSON to the app. */
export function post(app: TestApp['app'], path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
