/**
 * Hot reload: the content folders are watched, and every change compiles the whole set again.
 * Only a set that compiles without errors replaces the one serving, in one assignment, so no
 * call ever sees half a set; a broken edit leaves the last good set serving and its problems
 * on /health and in the log.
 */
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import type { RuleSet } from '../rules/compile.ts';
import { formatProblem } from '../rules/source.ts';
import { loadContent, readContentFiles } from './content-files.ts';

export interface ReloadState {
  status: 'ok' | 'error';
  /** When the last attempt finished (ISO time). */
  at: string;
  /** `path:line:col: message` of the last failed attempt; empty when it succeeded. */
  problems: string[];
}

export class LiveContent {
  private current: RuleSet;
  private state: ReloadState;
  private watchers: FSWatcher[] = [];
  private poller?: ReturnType<typeof setInterval>;
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly root: string,
    initial: RuleSet,
    private readonly log: Logger,
  ) {
    this.current = initial;
    this.state = { status: 'ok', at: new Date().toISOString(), problems: [] };
  }

  /** The set in force; read once per call. */
  get ruleSet(): RuleSet {
    return this.current;
  }

  get reloadState(): ReloadState {
    return this.state;
  }

  /** Compiles the content again and swaps it in if it has no error. Concurrent calls coalesce. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.compileAndSwap();
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async compileAndSwap(): Promise<void> {
    const start = performance.now();
    try {
      const { ruleSet, problems } = await loadContent(this.root);
      const ms = Math.round(performance.now() - start);
      if (ruleSet) {
        this.current = ruleSet;
        this.state = { status: 'ok', at: new Date().toISOString(), problems: [] };
        this.log.info('content reloaded', { ...ruleSet.counts, warnings: problems.length, ms });
      } else {
        this.state = { status: 'error', at: new Date().toISOString(), problems: problems.filter((p) => p.severity === 'error').map(formatProblem) };
        this.log.error('content reload rejected; the last good content keeps serving', { errors: this.state.problems.length, ms });
        for (const p of this.state.problems) this.log.error('content problem', { problem: p });
      }
    } catch (error) {
      this.state = { status: 'error', at: new Date().toISOString(), problems: [String(error)] };
      this.log.error('content reload failed', { error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  /** Watches rules/ and cards/; a burst of events (an editor saving) becomes one reload. */
  watch(debounceMs = 100): void {
    const schedule = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), debounceMs);
    };
    try {
      for (const folder of ['rules', 'cards']) {
        this.watchers.push(watch(join(this.root, folder), { recursive: true }, schedule));
      }
    } catch (error) {
      // No recursive watching here (or a folder is missing): compare file stamps instead.
      this.log.warn('file watching unavailable; polling content every 500 ms', { error: (error as Error).name });
      for (const w of this.watchers) w.close();
      this.watchers = [];
      let last = '';
      this.poller = setInterval(async () => {
        const stamp = await this.stamp();
        if (last && stamp !== last) schedule();
        last = stamp;
      }, 500);
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    clearInterval(this.poller);
    clearTimeout(this.timer);
  }

  private async stamp(): Promise<string> {
    const files = await readContentFiles(this.root);
    const stamps = await Promise.all(files.map(async (f) => `${f.path}:${(await stat(join(this.root, f.path))).mtimeMs}:${f.text.length}`));
    return stamps.join('|');
  }
}
