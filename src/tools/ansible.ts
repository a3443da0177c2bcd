// Runs the lab's playbook and reads Ansible's own per-host statistics (the json callback), so that
// idempotence is a measured fact: a converged lab reports changed=0 on every host.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { ANSIBLE_DIR } from '../core/repo.ts';

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
  logFile: string;
}

interface JsonCallback {
  plays: {
    tasks: {
      task: { name: string };
      hosts: Record<string, { changed?: boolean; failed?: boolean; msg?: string; unreachable?: boolean }>;
    }[];
  }[];
  stats: Record<string, HostStats>;
}

export async function runPlaybook(opts: {
  inventoryFile: string;
  limit?: string;
  logFile: string;
  playbook?: string;
  extraEnv?: Record<string, string>;
}): Promise<PlaybookResult> {
  const args = ['-i', opts.inventoryFile, opts.playbook ?? resolve(ANSIBLE_DIR, 'site.yml')];
  if (opts.limit) args.push('--limit', opts.limit);
  const r = await execa('ansible-playbook', args, {
    cwd: ANSIBLE_DIR,
    reject: false,
    env: {
      ANSIBLE_CONFIG: resolve(ANSIBLE_DIR, 'ansible.cfg'),
      ANSIBLE_STDOUT_CALLBACK: 'json',
      ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ...opts.extraEnv,
    },
  });
  writeFileSync(opts.logFile, `$ ansible-playbook ${args.join(' ')}\n${r.stdout}\n${r.stderr}\n`);
  let parsed: JsonCallback;
  try {
    // The json callback prints one document; timing callbacks may print lines around it.
    const start = r.stdout.search(/^\{$/m);
    const end = r.stdout.lastIndexOf('\n}');
    parsed = JSON.parse(r.stdout.slice(start, end + 2)) as JsonCallback;
  } catch {
    throw new Error(
      `ansible-playbook exited ${r.exitCode} without a readable result; see ${opts.logFile}\n${r.stderr.split('\n').slice(-5).join('\n')}`,
    );
  }
  const changedTasks: Record<string, string[]> = {};
  const failedTasks: Record<string, string[]> = {};
  for (const play of parsed.plays) {
    for (const task of play.tasks) {
      for (const [host, res] of Object.entries(task.hosts)) {
        if (res.changed) (changedTasks[host] ??= []).push(task.task.name);
        if (res.failed || res.unreachable) (failedTasks[host] ??= []).push(`${task.task.name}: ${res.msg ?? 'failed'}`);
      }
    }
  }
  const ok = r.exitCode === 0 && Object.values(parsed.stats).every((s) => s.failures === 0 && s.unreachable === 0);
  return { ok, stats: parsed.stats, changedTasks, failedTasks, logFile: opts.logFile };
}
