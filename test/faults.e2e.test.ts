// Faults, for real: `up` killed at several points (SIGKILL while a server is being created, Ctrl-C
// to the whole process group while Ansible runs) leaves a state that the next `up` completes and
// `down` removes, and nothing of the other candidate is touched. Needs root (fails otherwise).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';
import { statePaths } from '../src/core/state.ts';
import { bridgeName } from '../src/targets/local/index.ts';
import { cli, KEY_A, KEY_B } from './helpers.ts';
import { alive, requireHost, STATE, traces } from './local-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-faults-'));
const file = join(dir, 'faults.yaml');
writeFileSync(
  file,
  [
    'cohort: faults',
    'local: {subnetPool: 10.240.28.0/24, subnetPrefix: 28}',
    'modules: {data: false, containers: false, kubernetes: false, monitoring: false}',
    'servers: [{name: app, role: app, memoryMiB: 256, cpus: 0.5}]',
    'candidates:',
    `  - {id: fa, sshKey: "${KEY_A}"}`,
    `  - {id: fb, sshKey: "${KEY_B}"}`,
    '',
  ].join('\n'),
);
const pidOf = (machine: string) => Number(readFileSync(join(statePaths(STATE).server(machine), 'pid'), 'utf8').trim());

/** `up --candidate fb` in its own process group, its output followed line by line. */
function startUp(): { child: ResultPromise; lines: string[]; waitFor: (re: RegExp, ms: number) => Promise<void> } {
  const child = execa(
    process.execPath,
    [resolve(REPO_ROOT, 'bin/asd-lab.js'), '-c', file, 'up', '--candidate', 'fb', '--no-verify'],
    {
      cwd: REPO_ROOT,
      reject: false,
      detached: true,
      env: { LANG: 'C.UTF-8' },
    },
  );
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => lines.push(...String(d).split('\n')));
  const waitFor = async (re: RegExp, ms: number) => {
    const until = Date.now() + ms;
    while (!lines.some((l) => re.test(l))) {
      if (Date.now() > until) throw new Error(`no line matching ${re} within ${ms / 1000} s:\n${lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { child, lines, waitFor };
}

/** What of this cohort still runs: creation scripts, Ansible runs, asd-lab processes. */
async function leftovers(): Promise<string[]> {
  const procs = (await execa('ps', ['-eo', 'pid,args'])).stdout.split('\n');
  return procs.filter((p) => /create-server|ansible-playbook|asd-lab\.js/.test(p) && /faults|fb-app|fa-app/.test(p));
}

describe('up killed at any step', () => {
  let aPid = 0;
  beforeAll(async () => {
    await requireHost('container');
    await cli(['down', '-c', file, '--purge']);
    const r = await cli(['up', '-c', file, '--candidate', 'fa', '--no-verify']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    aPid = pidOf('fa-app');
  }, 900_000);
  afterAll(async () => {
    await cli(['down', '-c', file, '--purge']);
  }, 300_000);

  it('SIGKILL while a server is being created: nothing of the killed run goes on', async () => {
    const up = startUp();
    await up.waitFor(/server fb-app/, 300_000);
    await new Promise((r) => setTimeout(r, 1500)); // inside create-server.sh
    up.child.kill('SIGKILL');
    await up.child;
    await new Promise((r) => setTimeout(r, 1000));
    expect(await leftovers()).toEqual([]);
  }, 400_000);

  it('Ctrl-C while Ansible runs: the group stops, no Ansible run is left', async () => {
    const up = startUp();
    await up.waitFor(/configuration with Ansible/, 400_000);
    await new Promise((r) => setTimeout(r, 15_000)); // a few tasks in
    process.kill(-up.child.pid!, 'SIGINT');
    await up.child;
    for (let i = 0; i < 30 && (await leftovers()).length > 0; i++) await new Promise((r) => setTimeout(r, 1000));
    expect(await leftovers()).toEqual([]);
  }, 500_000);

  it('the next up completes the killed candidate; the other candidate was never touched', async () => {
    const r = await cli(['--json', 'up', '-c', file, '--candidate', 'fb', '--no-verify']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout) as { candidates: { id: string; ok: boolean }[] };
    expect(out.candidates).toEqual([expect.objectContaining({ id: 'fb', ok: true })]);
    // fa's server is the same process it was before the faults: never restarted, never recreated.
    expect(pidOf('fa-app')).toBe(aPid);
    expect(alive(aPid)).toBe(true);
    const st = await cli(['--json', 'status', '-c', file]);
    const servers = (JSON.parse(st.stdout) as { candidates: { id: string; servers: { state: string; health: string }[] }[] })
      .candidates;
    expect(servers.map((c) => [c.id, c.servers.map((s) => `${s.state}/${s.health}`)])).toEqual([
      ['fa', ['running/up']],
      ['fb', ['running/up']],
    ]);
  }, 900_000);

  it('down removes everything of both candidates', async () => {
    const r = await cli(['down', '-c', file, '--purge']);
    expect(r.code, r.stderr).toBe(0);
    expect(await traces('fa-app')).toEqual([]);
    expect(await traces('fb-app')).toEqual([]);
    const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
    for (const i of [0, 1]) expect(links).not.toContain(bridgeName('faults', i));
    expect(existsSync(join(STATE, 'cohorts', 'faults'))).toBe(false);
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
