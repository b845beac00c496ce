/**
 * Hot reload: the content folders are watched, and every change compiles the whole set again.
 * Only a set that compiles without errors replaces the one serving, in one assignment, so no
 * call ever sees half a set; a broken edit leaves the last good set serving and its problems
 * on /health and in the log.
 */
import { type FSWatcher, watch as chokidarWatch } from 'chokidar';
import { join } from 'node:path';
import type { ReloadFacts } from '../http/health.ts';
import type { Logger } from '../log/logger.ts';
import type { RuleSet } from '../rules/compile.ts';
import { formatProblem } from '../rules/source.ts';
import { loadContent } from './content-files.ts';

/** The last reload attempt, as `/health` shows it (src/http/health.ts). */
export type ReloadState = Omit<ReloadFacts, 'watching'>;

export class LiveContent {
  private current: RuleSet;
  private state: ReloadState;
  private watchers: FSWatcher[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private running?: Promise<void>;
  private again = false;
  /** The warnings of the content in force (shown in the console's catalog). */
  private currentWarnings: string[];

  constructor(
    private readonly root: string,
    initial: RuleSet,
    private readonly log: Logger,
    warnings: string[] = [],
  ) {
    this.current = initial;
    this.currentWarnings = warnings;
    this.state = { status: 'ok', at: new Date().toISOString(), problems: [] };
  }

  /** The set in force; read once per call. */
  get ruleSet(): RuleSet {
    return this.current;
  }

  get warnings(): string[] {
    return this.currentWarnings;
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
        this.currentWarnings = problems.map(formatProblem);
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

  /**
   * Watches rules/ and cards/ with chokidar; a burst of events (an editor saving) becomes one
   * reload. chokidar watches each folder and re-arms on a file that a tool replaced by renaming
   * over it (vim, `sed -i`, git): Node's recursive `fs.watch` lost such a file on Linux and
   * never reported it again (docs/architecture.md, "Hot reload").
   */
  watch(debounceMs = 100, polling = false): void {
    const schedule = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), debounceMs);
    };
    const watcher = chokidarWatch(
      ['rules', 'cards'].map((folder) => join(this.root, folder)),
      { ignoreInitial: true, atomic: true, usePolling: polling, interval: 500, binaryInterval: 500 },
    );
    watcher.on('all', schedule);
    watcher.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (polling || (code !== 'ENOSPC' && code !== 'EMFILE')) {
        this.log.error('content watcher error', { error: (error as Error).name, code });
        return;
      }
      // Out of inotify watches or file handles: compare file stamps instead.
      this.log.warn('file watching unavailable; polling content every 500 ms', { code });
      void watcher.close();
      this.watchers = this.watchers.filter((w) => w !== watcher);
      this.watch(debounceMs, true);
    });
    this.watchers.push(watcher);
  }

  close(): void {
    for (const w of this.watchers) void w.close();
    this.watchers = [];
    clearTimeout(this.timer);
  }
}
