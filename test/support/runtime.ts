/** What a runtime gives the shared test harness (test/support/app.ts). */
import type { SourceFile } from '../../src/rules/source.ts';
import type { Store } from '../../src/store/store.ts';

export interface TestDatabase {
  store: Store;
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface TestRuntime {
  name: 'node' | 'workerd';
  /** The shipped content files, as this runtime's shell gets them. */
  contentFiles(): Promise<SourceFile[]>;
  /** A migrated database and a store over it. */
  openDatabase(): Promise<TestDatabase>;
}
