// One `up` or `down` at a time per cohort: two runs on the same servers, bridges and inventory
// would undo each other. The lock is a file created atomically (O_EXCL, the `wx` flag) in the
// cohort's state folder, holding who took it; a holder that died (SIGKILL, a crash, Ctrl-C before
// the release) leaves it behind, and the next run takes it over, saying so.
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AsdError } from '../core/errors.ts';
import { t } from '../core/i18n/index.ts';

export interface LockHolder {
  pid: number;
  /** The holder's command line, to name it to whoever waits. */
  command: string;
  since: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks): a reused PID is not the holder. */
  start?: string;
}

/** Another run holds the cohort (kind 'user': wait for it, or run again with --wait). */
export class LockBusyError extends AsdError {
  constructor(
    message: string,
    readonly holder: LockHolder,
  ) {
    super(message, { kind: 'user' });
  }
}

export interface LockOptions {
  /** Wait for the holder to finish instead of refusing at once. */
  wait?: boolean;
  /** Pause between two attempts while waiting (ms). */
  pollMs?: number;
  say?: (line: string) => void;
  /** Who takes the lock (tests give another process's values). */
  self?: LockHolder;
}

export interface Lock {
  file: string;
  release(): void;
}

function startOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    // no /proc (or the process is gone): the PID alone decides
    return undefined;
  }
}

function me(): LockHolder {
  return {
    pid: process.pid,
    command: process.argv.join(' '),
    since: new Date().toISOString(),
    start: startOf(process.pid),
  };
}

/** Whether the process that wrote the lock still runs (EPERM: it does, as another user). */
export function holderAlive(h: LockHolder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = startOf(h.pid);
  return h.start === undefined || start === undefined || start === h.start;
}

function readHolder(file: string): { text: string; holder?: LockHolder } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // released meanwhile
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' ? { text, holder: h } : { text };
  } catch {
    // being written by its holder right now (create then write): read again shortly
    return { text };
  }
}

/**
 * Remove a stale lock only if it is still the one found stale: two runs may find it at once, and
 * the second must not delete the lock the first just took. A short guard file serializes them.
 */
function removeStale(file: string, staleText: string): void {
  const guard = `${file}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A guard older than 10 s belongs to a run that died during the takeover.
    if (Date.now() - statSync(guard).mtimeMs > 10_000) unlinkSync(guard);
    return;
  }
  try {
    if (readHolder(file)?.text === staleText) unlinkSync(file);
  } finally {
    unlinkSync(guard);
  }
}

/** Take the lock file (creating its folder), refusing, waiting, or taking over a stale one. */
export async function acquireLock(file: string, cohort: string, opts: LockOptions = {}): Promise<Lock> {
  const say = opts.say ?? (() => undefined);
  const self = opts.self ?? me();
  const text = `${JSON.stringify(self)}\n`;
  // The folders this lock creates go again at release when empty (a `down` of nothing leaves nothing).
  let created = mkdirSync(dirname(file), { recursive: true });
  let waiting = false;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // The holder we waited for removed the folder it had made: make it again, and retry.
      if (code === 'ENOENT') {
        created = mkdirSync(dirname(file), { recursive: true }) ?? created;
        continue;
      }
      if (code !== 'EEXIST') throw err;
      fd = -1;
    }
    if (fd >= 0) {
      try {
        writeFileSync(fd, text);
      } finally {
        closeSync(fd);
      }
      const made = created;
      return { file, release: () => release(file, text, made) };
    }
    const found = readHolder(file);
    const h = found?.holder;
    if (found && h && !holderAlive(h)) {
      say(t('lock.stale', { cohort, pid: h.pid, command: h.command, since: h.since }));
      removeStale(file, found.text);
      continue;
    }
    // Empty or torn for 10 s: its writer died between creating and writing it.
    if (found && !h && Date.now() - mtimeOf(file) > 10_000) {
      say(t('lock.staleUnknown', { cohort, file }));
      removeStale(file, found.text);
      continue;
    }
    if (h && !opts.wait) {
      throw new LockBusyError(t('lock.busy', { cohort, pid: h.pid, command: h.command, since: h.since, file }), h);
    }
    if (h && !waiting) {
      say(t('lock.waiting', { cohort, pid: h.pid, command: h.command }));
      waiting = true;
    }
    await sleep(opts.pollMs ?? 500);
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    // gone meanwhile: as if just written, the next attempt sees it free
    return Date.now();
  }
}

function release(file: string, text: string, created: string | undefined): void {
  // Only our own lock: a purge may have removed the folder, and someone may hold a new lock there.
  if (readHolder(file)?.text === text) unlinkSync(file);
  if (!created) return;
  for (let dir = dirname(file); dir.length >= created.length; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (the run left state there) or already gone: keep it
      return;
    }
  }
}

/** Run fn holding the lock; released whatever happens (an error, a failed candidate). */
export async function withLock<T>(file: string, cohort: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, cohort, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
