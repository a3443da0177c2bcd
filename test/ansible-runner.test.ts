// The Ansible runner on a real ansible-playbook (connection local, no server): results come from the
// event stream (ansible.posix.jsonl) as they happen, not once the run is over; changed and failed
// tasks, stats and the log are what Ansible reported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEvent, PlaybookProgress, runPlaybook, type PlaybookEvent } from '../src/tools/ansible.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-ansible-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function playbook(name: string, tasks: string): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, `- name: ${name}\n  hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  return file;
}
const inventory = join(dir, 'inventory.ini');
writeFileSync(
  inventory,
  `here ansible_connection=local ansible_python_interpreter=${process.env.ANSIBLE_PYTHON ?? '/usr/bin/python3'}\n`,
);

describe('runPlaybook (real ansible-playbook, connection local)', () => {
  it('streams each task and result while the run goes on, and folds them into the result', async () => {
    const file = playbook(
      'stream',
      [
        '    - name: first change',
        '      ansible.builtin.command: "true"',
        '    - name: wait',
        '      ansible.builtin.command: sleep 3',
        '      changed_when: false',
        '    - name: last',
        '      ansible.builtin.debug: { msg: done }',
        '',
      ].join('\n'),
    );
    const seen: { at: number; e: PlaybookEvent }[] = [];
    const r = await runPlaybook({
      inventoryFile: inventory,
      playbook: file,
      logFile: join(dir, 'stream.jsonl'),
      onEvent: (e) => seen.push({ at: Date.now(), e }),
    });
    const end = Date.now();
    expect(r.ok).toBe(true);
    expect(r.stats.here).toMatchObject({ ok: 3, changed: 1, failures: 0 });
    expect(r.changedTasks).toEqual({ here: ['first change'] });
    expect(r.failedTasks).toEqual({});
    const first = seen.find((s) => s.e.kind === 'result' && s.e.task === 'first change');
    // The first result reached us before the 3-second task ended: streamed, not buffered.
    expect(end - first!.at).toBeGreaterThan(2500);
    expect(seen.map((s) => s.e.kind)).toEqual(['play', 'task', 'result', 'task', 'result', 'task', 'result']);
    expect(describeEvent(seen[2]!.e)).toBe('here: changed first change (ok 0, changed 1, failed 0)');
    expect(readFileSync(join(dir, 'stream.jsonl'), 'utf8')).toContain('"v2_playbook_on_stats"');
  }, 60_000);

  it('reports a failed task with its message, and the run as not ok', async () => {
    const file = playbook('fail', '    - name: breaks\n      ansible.builtin.command: "false"\n');
    const events: PlaybookEvent[] = [];
    const r = await runPlaybook({
      inventoryFile: inventory,
      playbook: file,
      logFile: join(dir, 'fail.jsonl'),
      onEvent: (e) => events.push(e),
    });
    expect(r.ok).toBe(false);
    expect(r.failedTasks.here).toEqual([expect.stringMatching(/^breaks: non-zero return code/)]);
    expect(events.at(-1)).toMatchObject({ kind: 'result', status: 'failed', host: 'here', counts: { failed: 1 } });
  }, 60_000);

  it('a run that ends without its stats (not a playbook) is an error naming the log', async () => {
    writeFileSync(join(dir, 'broken.yml'), 'not: [a playbook\n');
    await expect(
      runPlaybook({ inventoryFile: inventory, playbook: join(dir, 'broken.yml'), logFile: join(dir, 'broken.log') }),
    ).rejects.toThrow(/without a readable result; see .*broken\.log/);
  }, 60_000);
});

describe('PlaybookProgress', () => {
  it('names the role of a task from its path and ignores lines that are not events', () => {
    const events: PlaybookEvent[] = [];
    const p = new PlaybookProgress((e) => events.push(e));
    p.line('[WARNING]: something');
    p.line('{not json');
    p.line(
      JSON.stringify({
        _event: 'v2_playbook_on_task_start',
        task: { name: 'Configure sshd', path: '/x/ansible/roles/ssh/tasks/main.yml:3' },
      }),
    );
    expect(events).toEqual([
      {
        kind: 'task',
        play: undefined,
        task: 'Configure sshd',
        role: 'ssh',
        counts: { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 },
      },
    ]);
    expect(describeEvent(events[0]!)).toBe('ssh : Configure sshd (ok 0, changed 0, failed 0)');
  });
});
