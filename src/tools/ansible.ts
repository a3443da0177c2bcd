// Runs the lab's playbook and reads Ansible's own per-host statistics from its event stream (the
// ansible.posix.jsonl callback), so that idempotence is a measured fact (a converged lab reports
// changed=0 on every host) and `up` shows each play, task and result as it happens.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { ANSIBLE_DIR } from '../core/repo.ts';
import { ownedCommand } from './owned.ts';

export { ANSIBLE_DIR };

export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
}

export interface PlaybookResult {
  ok: boolean;
  stats: Record<string, HostStats>;
  /** Names of the tasks that reported a change, per host (what a second run must not show). */
  changedTasks: Record<string, string[]>;
  /** Failed tasks with Ansible's message, per host. */
  failedTasks: Record<string, string[]>;
  /** What the run manages on each host (files, units, packages...), read from its results. */
  managed: Record<string, ManagedSet>;
  logFile: string;
}

/**
 * What a run put under management on a host, from the module arguments of its results: the drift
 * probe (src/lifecycle/converge.ts) reads these back to tell whether a host is still as left.
 * Results hidden by no_log carry no arguments and are not listed.
 */
export interface ManagedSet {
  files: string[];
  dirs: string[];
  /** systemd units started (state started/restarted) or enabled by the run. */
  units: { name: string; active: boolean; enabled: boolean }[];
  packages: string[];
  users: string[];
  groups: string[];
  sysctls: string[];
}

/** The module of a result, short name (ansible.builtin.template -> template). */
const shortAction = (action: string) => action.replace(/^.*\./, '');

/** Adds what one module result (or one loop item) manages to a host's set. */
export function harvestResult(set: ManagedSet, action: string, result: ModuleResult): void {
  // A task delegated to the controller (signing a certificate, building a bundle) manages nothing on the host.
  if (result.failed || result.skipped || result._ansible_delegated_vars) return;
  for (const item of result.results ?? []) harvestResult(set, action, item);
  const args = result.invocation?.module_args;
  if (!args) return;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : str(v) ? [v as string] : [];
  switch (shortAction(action)) {
    case 'template':
    case 'copy':
      if (str(args.dest) && !String(args.dest).endsWith('/')) set.files.push(String(args.dest));
      break;
    case 'lineinfile':
    case 'blockinfile':
    case 'replace':
    case 'ini_file':
      if (str(args.path)) set.files.push(String(args.path));
      break;
    case 'file':
      if (args.state === 'directory' && str(args.path)) set.dirs.push(String(args.path));
      else if ((args.state === 'file' || args.state === 'touch') && str(args.path)) set.files.push(String(args.path));
      break;
    case 'systemd':
    case 'systemd_service':
    case 'service': {
      const name = str(args.name);
      if (!name) break;
      const active = args.state === 'started' || args.state === 'restarted' || args.state === 'reloaded';
      if (active || args.enabled === true) set.units.push({ name, active, enabled: args.enabled === true });
      break;
    }
    case 'apt':
      if (args.state !== 'absent') set.packages.push(...list(args.name ?? args.pkg));
      break;
    case 'user':
      if (args.state !== 'absent' && str(args.name)) set.users.push(String(args.name));
      break;
    case 'group':
      if (args.state !== 'absent' && str(args.name)) set.groups.push(String(args.name));
      break;
    case 'sysctl':
      if (args.state !== 'absent' && str(args.name)) set.sysctls.push(String(args.name));
      break;
  }
}

export const emptyManagedSet = (): ManagedSet => ({
  files: [],
  dirs: [],
  units: [],
  packages: [],
  users: [],
  groups: [],
  sysctls: [],
});

/** One module result as the jsonl callback prints it (the fields read here). */
interface ModuleResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  unreachable?: boolean;
  skipped?: boolean;
  action?: string;
  invocation?: { module_args?: Record<string, unknown> };
  results?: ModuleResult[];
  _ansible_delegated_vars?: Record<string, unknown>;
}

/** One event of the run as it happens, for live progress (play, role, task, host, result). */
export interface PlaybookEvent {
  kind: 'play' | 'task' | 'result';
  play?: string;
  task?: string;
  /** The role a task belongs to (from its path, roles/<role>/...). */
  role?: string;
  host?: string;
  status?: 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';
  message?: string;
  /** Results so far over every host. */
  counts: { ok: number; changed: number; failed: number; unreachable: number; skipped: number };
}

/** A line of the ansible.posix.jsonl callback (one per event, printed as it happens). */
interface JsonlEvent {
  _event: string;
  play?: { name: string };
  task?: { name: string; path?: string };
  hosts?: Record<string, ModuleResult>;
  stats?: Record<string, HostStats>;
}

const RESULT_EVENTS: Record<string, PlaybookEvent['status']> = {
  v2_runner_on_ok: 'ok',
  v2_runner_on_failed: 'failed',
  v2_runner_on_unreachable: 'unreachable',
  v2_runner_on_skipped: 'skipped',
};

/** Folds the events of a run into its result; `onEvent` sees each one as it arrives. */
export class PlaybookProgress {
  readonly changedTasks: Record<string, string[]> = {};
  readonly failedTasks: Record<string, string[]> = {};
  readonly managed: Record<string, ManagedSet> = {};
  stats: Record<string, HostStats> | undefined;
  private readonly counts = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 };
  private play?: string;

  constructor(private readonly onEvent: (e: PlaybookEvent) => void = () => undefined) {}

  /** One line of the callback's output; anything that is not an event is ignored (warnings). */
  line(text: string): void {
    if (!text.startsWith('{')) return;
    let e: JsonlEvent;
    try {
      e = JSON.parse(text) as JsonlEvent;
    } catch {
      // not an event line (a plugin's warning that starts with a brace): the log keeps it
      return;
    }
    const task = e.task?.name;
    const role = /(?:^|\/)roles\/([^/]+)\//.exec(e.task?.path ?? '')?.[1];
    if (e._event === 'v2_playbook_on_play_start') {
      this.play = e.play?.name;
      this.onEvent({ kind: 'play', play: this.play, counts: { ...this.counts } });
    } else if (e._event === 'v2_playbook_on_task_start') {
      this.onEvent({ kind: 'task', play: this.play, task, role, counts: { ...this.counts } });
    } else if (e._event === 'v2_playbook_on_stats') {
      this.stats = e.stats;
    } else if (e._event in RESULT_EVENTS) {
      for (const [host, res] of Object.entries(e.hosts ?? {})) {
        let status = RESULT_EVENTS[e._event]!;
        if (status === 'ok' && res.changed) status = 'changed';
        this.counts[status === 'changed' ? 'changed' : status]++;
        if (res.changed && task) (this.changedTasks[host] ??= []).push(task);
        if (status === 'ok' || status === 'changed')
          harvestResult((this.managed[host] ??= emptyManagedSet()), res.action ?? '', res);
        if ((status === 'failed' || status === 'unreachable') && task)
          (this.failedTasks[host] ??= []).push(`${task}: ${res.msg ?? 'failed'}`);
        this.onEvent({ kind: 'result', play: this.play, task, role, host, status, message: res.msg, counts: { ...this.counts } });
      }
    }
  }
}

/** A one-line summary of an event, for a progress display. */
export function describeEvent(e: PlaybookEvent): string {
  const c = e.counts;
  const tally = `ok ${c.ok}, changed ${c.changed}, failed ${c.failed + c.unreachable}`;
  const where = [e.role, e.task].filter(Boolean).join(' : ');
  if (e.kind === 'play') return `${e.play ?? ''} (${tally})`;
  if (e.kind === 'task') return `${where} (${tally})`;
  return `${e.host}: ${e.status} ${where}${e.status === 'failed' || e.status === 'unreachable' ? ` — ${e.message ?? ''}` : ''} (${tally})`;
}

export async function runPlaybook(opts: {
  inventoryFile: string;
  limit?: string;
  logFile: string;
  playbook?: string;
  extraEnv?: Record<string, string>;
  /** Each event as it happens (the output is streamed, not buffered). */
  onEvent?: (e: PlaybookEvent) => void;
}): Promise<PlaybookResult> {
  const args = ['-i', opts.inventoryFile, opts.playbook ?? resolve(ANSIBLE_DIR, 'site.yml')];
  if (opts.limit) args.push('--limit', opts.limit);
  const progress = new PlaybookProgress(opts.onEvent);
  const log = createWriteStream(opts.logFile);
  log.write(`$ ansible-playbook ${args.join(' ')}\n`);
  const child = execa(...ownedCommand('ansible-playbook', args), {
    cwd: ANSIBLE_DIR,
    reject: false,
    env: {
      ANSIBLE_CONFIG: resolve(ANSIBLE_DIR, 'ansible.cfg'),
      // One JSON event per line as it happens (ansible.posix, bundled with Debian's ansible).
      ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.jsonl',
      ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ...opts.extraEnv,
    },
  });
  const lines = createInterface({ input: child.stdout! });
  const closed = once(lines, 'close');
  lines.on('line', (l) => {
    log.write(`${l}\n`);
    progress.line(l);
  });
  const r = await child;
  await closed; // every line was read before the result is folded
  log.write(`${r.stderr}\n`);
  await new Promise((done) => log.end(done));
  if (!progress.stats) {
    throw new Error(
      `ansible-playbook exited ${r.exitCode} without a readable result; see ${opts.logFile}\n${r.stderr.split('\n').slice(-5).join('\n')}`,
    );
  }
  const stats = progress.stats;
  const ok = r.exitCode === 0 && Object.values(stats).every((s) => s.failures === 0 && s.unreachable === 0);
  return {
    ok,
    stats,
    changedTasks: progress.changedTasks,
    failedTasks: progress.failedTasks,
    managed: progress.managed,
    logFile: opts.logFile,
  };
}
