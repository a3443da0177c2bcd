// Real test of the local target's vm driver: one VM (qcow2 over the image's disk, direct boot of
// Debian's cloud kernel, seed disk) under software emulation when KVM cannot boot Linux here, then
// an SSH login as asd-admin. Needs root and qemu (fails otherwise); takes one to two minutes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  destroyServer,
  downNetwork,
  ensureImage,
  ensureLabKey,
  listServers,
  probeKvm,
  SCRIPTS_DIR,
  upNetwork,
  type CandidatePlan,
} from '../src/targets/local/index.ts';
import { requireHost, ssh, STATE, testCohort, traces } from './local-helpers.ts';

// 512 MiB of guest RAM for the cloud kernel and systemd; one CPU.
const cohort = testCohort('local-vm-test', '10.231.241.0/24', [{ id: 'ltv', servers: ['vm'] }], 'vm', 512, 1);
const cand = cohort.candidates[0]!;
let plan: CandidatePlan;
const timings: Record<string, number> = {};

describe('local target, vm driver (real)', () => {
  beforeAll(async () => {
    await requireHost('vm');
    const t0 = Date.now();
    await ensureImage({ stateDir: STATE, vm: true });
    timings.imageVmMs = Date.now() - t0;
    await destroyServer('ltv-vm', { stateDir: STATE });
    await ensureLabKey(cohort.cohort, { stateDir: STATE });
    plan = await upNetwork(cohort, cand, { stateDir: STATE });
  }, 900_000);

  afterAll(async () => {
    await destroyServer('ltv-vm', { stateDir: STATE });
    await downNetwork(cohort, cand, { stateDir: STATE });
    console.log(`local-vm timings: ${JSON.stringify(timings)}`);
  }, 120_000);

  it('an explicit --accel kvm fails before creating anything when KVM cannot boot Linux here', async () => {
    const kvm = await probeKvm(STATE, SCRIPTS_DIR);
    expect(kvm).not.toBeNull(); // the VM image exists, so the probe ran (or /dev/kvm is missing)
    if (kvm!.usable) return; // a host with working KVM: nothing to refuse
    const s = plan.servers[0]!;
    const r = await execa(
      path.join(SCRIPTS_DIR, 'create-server.sh'),
      [
        '--name',
        s.name,
        '--role',
        'app',
        '--memory',
        '512',
        '--cpus',
        '1',
        '--network',
        plan.bridge,
        '--address',
        s.address,
        '--gateway',
        plan.gateway,
        '--ssh-key',
        path.join(STATE, 'keys', cohort.cohort, 'id_ed25519.pub'),
        '--driver',
        'vm',
        '--accel',
        'kvm',
        '--state-dir',
        STATE,
      ],
      { reject: false },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--accel kvm: KVM is not usable on this host: .*use --accel tcg/);
    expect(existsSync(path.join(STATE, 'servers', s.name))).toBe(false);
  }, 60_000);

  it('boots one VM (KVM if usable, else software emulation) and logs in over SSH as asd-admin', async () => {
    const t0 = Date.now();
    const lines: string[] = [];
    const vm = await createServer(cohort, cand, 'vm', { stateDir: STATE, onLine: (l) => lines.push(l) });
    timings.bootToSshMs = Date.now() - t0;
    expect(vm).toMatchObject({ name: 'ltv-vm', driver: 'vm', state: 'running', address: plan.servers[0]!.ip });
    expect(lines.join('\n')).toMatch(/accelerator: (kvm|tcg)/);

    const r = await ssh(
      vm.address,
      vm.keyPath,
      vm.knownHostsFile,
      'id -un; sudo -n id -u; hostname; uname -r; systemd-detect-virt; test -e /etc/asd-lab/seeded && echo seeded; systemctl is-system-running --wait',
    );
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [user, rootId, host, kernel, virt, seeded, running] = r.stdout.split('\n');
    expect([user, rootId, host, seeded]).toEqual(['asd-admin', '0', 'ltv-vm', 'seeded']);
    expect(kernel).toMatch(/-cloud-amd64$/);
    expect(virt).toBe('qemu'); // systemd-detect-virt says "kvm" under KVM
    expect(running).toBe('running'); // auditd too: the VM has the kernel's audit interface

    // The disk is a thin qcow2 layer over the shared image disk.
    const info = JSON.parse((await execa('qemu-img', ['info', '-U', '--output=json', path.join(vm.dir, 'disk.qcow2')])).stdout);
    expect(info['backing-filename']).toMatch(/base\.qcow2$/);
    timings.qemuRssKiB = Number(
      /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${readFileSync(path.join(vm.dir, 'pid'), 'utf8').trim()}/status`, 'utf8'))?.[1],
    );

    // Idempotent like the container driver.
    const again = await execa(path.join(SCRIPTS_DIR, 'create-server.sh'), [
      '--name',
      'ltv-vm',
      '--role',
      'app',
      '--memory',
      '512',
      '--cpus',
      '1',
      '--network',
      plan.bridge,
      '--address',
      plan.servers[0]!.address,
      '--gateway',
      plan.gateway,
      '--ssh-key',
      `${vm.keyPath}.pub`,
      '--driver',
      'vm',
      '--state-dir',
      STATE,
    ]);
    expect(again.stdout).toMatch(/already running .*nothing changed/);

    await destroyServer('ltv-vm', { stateDir: STATE });
    expect(await traces('ltv-vm')).toEqual([]);
    expect((await listServers(STATE)).some((s) => s.name === 'ltv-vm')).toBe(false);
    const tap = `asdv-${createHash('sha256').update('ltv-vm').digest('hex').slice(0, 10)}`;
    expect((await execa('ip', ['-o', 'link', 'show'])).stdout).not.toContain(tap);
  }, 600_000);
});
