// The converge record: what a run manages is read from Ansible's results, the probe reads it back
// with a real shell on this machine, and the decision skips Ansible only when nothing differs.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decide,
  driftLines,
  probeScript,
  runLimit,
  type ConvergeReason,
  type ConvergeRecord,
} from '../src/lifecycle/converge.ts';
import { emptyManagedSet, harvestResult, PlaybookProgress } from '../src/tools/ansible.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-converge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (host: string, action: string, result: Record<string, unknown>) =>
  JSON.stringify({ _event: 'v2_runner_on_ok', task: { name: 't' }, hosts: { [host]: { action, changed: false, ...result } } });

describe('what a run manages, from its results', () => {
  it('reads files, directories, units, packages, accounts and sysctls from the module arguments', () => {
    const p = new PlaybookProgress();
    const args = (module_args: Record<string, unknown>) => ({ invocation: { module_args } });
    p.line(event('h', 'ansible.builtin.template', args({ dest: '/etc/ssh/sshd_config' })));
    p.line(event('h', 'ansible.builtin.lineinfile', args({ path: '/etc/hosts' })));
    p.line(event('h', 'ansible.builtin.file', args({ path: '/etc/ssh/sshd_config.d', state: 'directory' })));
    p.line(event('h', 'ansible.builtin.file', args({ path: '/tmp/x', state: 'absent' })));
    p.line(event('h', 'ansible.builtin.systemd', args({ name: 'ssh', state: 'started', enabled: true })));
    p.line(event('h', 'ansible.builtin.apt', args({ name: ['nftables', 'aide'], state: 'present' })));
    p.line(event('h', 'ansible.builtin.user', args({ name: 'asd-admin' })));
    p.line(event('h', 'ansible.posix.sysctl', args({ name: 'net.ipv4.ip_forward', value: '0' })));
    p.line(
      event('h', 'ansible.builtin.copy', {
        results: [args({ dest: '/etc/a' }), { skipped: true, ...args({ dest: '/etc/skipped' }) }, args({ dest: '/etc/b' })],
      }),
    );
    // Delegated to the controller (a certificate signed there): nothing on the host.
    p.line(
      event('h', 'ansible.builtin.copy', { _ansible_delegated_vars: { ansible_host: 'localhost' }, ...args({ dest: '/ctl/x' }) }),
    );
    // Hidden by no_log: no arguments, nothing listed.
    p.line(event('h', 'ansible.builtin.copy', { censored: 'hidden' }));
    expect(p.managed.h).toEqual({
      files: ['/etc/ssh/sshd_config', '/etc/hosts', '/etc/a', '/etc/b'],
      dirs: ['/etc/ssh/sshd_config.d'],
      units: [{ name: 'ssh', active: true, enabled: true }],
      packages: ['nftables', 'aide'],
      users: ['asd-admin'],
      groups: [],
      sysctls: ['net.ipv4.ip_forward'],
    });
  });
});

describe('the drift probe, run by a real shell', () => {
  const m = emptyManagedSet();
  const file = join(dir, 'conf');
  const sub = join(dir, "it's a dir");
  writeFileSync(file, 'a = 1\n');
  mkdirSync(sub);
  m.files.push(file, join(dir, 'absent'));
  m.dirs.push(sub);
  m.packages.push('bash', 'not-a-package-here', '$(evil)');
  m.users.push('root');
  const run = async () => (await execa('sh', ['-s'], { input: probeScript(m) })).stdout.split('\n').filter(Boolean);

  it('prints the same lines for the same state, and names what changed', async () => {
    const first = await run();
    expect(first).toContain(`file ${join(dir, 'absent')} missing`);
    expect(first.some((l) => l.startsWith(`file ${file} `) && /\b[0-9a-f]{64}\b/.test(l))).toBe(true);
    expect(first.some((l) => l.startsWith(`dir ${sub} `))).toBe(true);
    expect(first.some((l) => /^package bash \S+/.test(l))).toBe(true);
    expect(first).toContain('package not-a-package-here missing');
    expect(first.some((l) => l.includes('evil'))).toBe(false); // not a package name: never reaches the shell
    expect(first.some((l) => l.startsWith('user root:x:0:0:'))).toBe(true);
    expect(await run()).toEqual(first);

    writeFileSync(file, 'a = 2\n');
    chmodSync(sub, 0o700);
    const after = await run();
    const drift = driftLines(first, after, 10);
    expect(drift.filter((l) => l.startsWith('- '))).toHaveLength(2);
    expect(drift.some((l) => l.startsWith(`+ file ${file} `))).toBe(true);
    expect(drift.some((l) => l.startsWith(`+ dir ${sub} 700 `))).toBe(true);
  });
});

describe('whether Ansible runs', () => {
  const inputs = { code: 'c', inventory: 'i', state: 's' };
  const record: ConvergeRecord = {
    schema: 1,
    at: '2026-12-04T00:00:00Z',
    inputs,
    hosts: { a: { managed: emptyManagedSet(), probe: ['file /etc/x 1'] }, b: { managed: emptyManagedSet(), probe: [] } },
  };

  it('skips only with the same inputs, the same hosts and no drift', () => {
    expect(decide(record, inputs, ['a', 'b'], { a: ['file /etc/x 1'], b: [] })).toEqual({ converge: false, reasons: [] });
  });

  it('runs, saying why, for each other case', () => {
    expect(decide(undefined, inputs, ['a'], {}).reasons).toEqual([{ kind: 'no-record' }]);
    expect(decide(record, { ...inputs, code: 'x', state: 'y' }, ['a', 'b'], {}).reasons).toEqual([
      { kind: 'inputs', parts: ['code', 'state'] },
    ]);
    expect(decide(record, inputs, ['a', 'c'], { a: ['file /etc/x 1'] }).reasons).toEqual([
      { kind: 'hosts', added: ['c'], removed: ['b'] },
    ]);
    expect(decide(record, inputs, ['a', 'b'], { a: ['file /etc/x 2'], b: [] }).reasons).toEqual([
      { kind: 'drift', host: 'a', lines: ['- file /etc/x 1', '+ file /etc/x 2'] },
    ]);
    expect(decide(record, inputs, ['a', 'b'], { a: { error: 'timeout' }, b: [] }).reasons).toEqual([
      { kind: 'unreachable', host: 'a', error: 'timeout' },
    ]);
  });

  it('runs on the drifted servers alone when drift is the only reason', () => {
    const drift: ConvergeReason = { kind: 'drift', host: 'a', lines: [] };
    expect(runLimit({ converge: true, reasons: [drift, { kind: 'drift', host: 'b', lines: [] }] }, 'candidate_x')).toBe('a,b');
    expect(runLimit({ converge: true, reasons: [drift, { kind: 'inputs', parts: ['code'] }] }, 'candidate_x')).toBe(
      'candidate_x',
    );
    expect(runLimit({ converge: true, reasons: [{ kind: 'forced' }] }, 'candidate_x')).toBe('candidate_x');
  });
});

it('harvestResult ignores failed results', () => {
  const m = emptyManagedSet();
  harvestResult(m, 'ansible.builtin.copy', { failed: true, invocation: { module_args: { dest: '/etc/x' } } });
  expect(m.files).toEqual([]);
});
