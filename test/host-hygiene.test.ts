// The host keeps only the tools: services the host packages start are stopped and disabled where
// systemd is PID 1, and up says so; elsewhere nothing runs them and nothing is said. `doctor`
// checks the exact minimum versions.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { atLeast, compareVersions, MIN_VERSIONS, parseVersion } from '../src/core/versions.ts';
import { runDoctor } from '../src/cli/doctor.ts';
import { hostPackageList, hostPackages, quietHostServices } from '../src/targets/local/packages.ts';
import { MIN_TERRAFORM } from '../src/targets/aws/terraform/runner.ts';
import { REPO_ROOT } from '../src/core/repo.ts';

setLang('en');
const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

/** A directory first on PATH with fake programs; each records its arguments in calls.log. */
function fakeBin(programs: Record<string, string>): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'asd-lab-fakebin-'));
  const log = join(dir, 'calls.log');
  for (const [name, body] of Object.entries(programs)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(file, 0o755);
  }
  process.env.PATH = `${dir}:${savedPath}`;
  return { dir, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

// postgresql enabled and running, prometheus running but disabled, the other two disabled and stopped.
const SYSTEMCTL = `case "$1 $2" in
  "is-enabled postgresql.service") echo enabled ;;
  "is-enabled "*) echo disabled; exit 1 ;;
  "is-active postgresql.service"|"is-active prometheus.service") echo active ;;
  "is-active "*) echo inactive; exit 3 ;;
esac`;

describe('host packages and their services', () => {
  it('one list: each package, and the units the lab stops on the host', () => {
    const list = hostPackageList();
    expect(hostPackages()).toEqual(list.map((p) => p.name));
    const stops = Object.fromEntries(list.filter((p) => p.stop.length).map((p) => [p.name, p.stop]));
    expect(stops).toEqual({
      postgresql: ['postgresql.service'],
      prometheus: ['prometheus.service'],
      'prometheus-alertmanager': ['prometheus-alertmanager.service'],
      'prometheus-blackbox-exporter': ['prometheus-blackbox-exporter.service'],
    });
    expect(hostPackages()).toContain('ansible');
    expect(hostPackages().every((p) => /^[a-z0-9][a-z0-9+.-]+$/.test(p))).toBe(true);
  });

  it('where PID 1 is not systemd: nothing is run, nothing is said', async () => {
    const bin = fakeBin({ systemctl: SYSTEMCTL });
    const said: string[] = [];
    expect(await quietHostServices({ isSystemdPid1: () => false, say: (l) => said.push(l) })).toEqual([]);
    expect(bin.calls()).toEqual([]);
    expect(said).toEqual([]);
  });

  it('under systemd: stops and disables what is enabled or running, says so, leaves the rest alone', async () => {
    const bin = fakeBin({ systemctl: SYSTEMCTL });
    const said: string[] = [];
    const stopped = await quietHostServices({ isSystemdPid1: () => true, say: (l) => said.push(l) });
    expect(stopped).toEqual(['prometheus.service', 'postgresql.service']);
    const disables = bin.calls().filter((c) => c.includes('disable'));
    expect(disables).toEqual(['systemctl disable --now prometheus.service', 'systemctl disable --now postgresql.service']);
    expect(said).toEqual([
      'host: stopped and disabled prometheus.service (started by the Debian package prometheus; the lab runs its own inside its servers)',
      'host: stopped and disabled postgresql.service (started by the Debian package postgresql; the lab runs its own inside its servers)',
    ]);
  });

  it('a dry run only reports', async () => {
    const bin = fakeBin({ systemctl: SYSTEMCTL });
    expect(await quietHostServices({ isSystemdPid1: () => true, dryRun: true })).toEqual([
      'prometheus.service',
      'postgresql.service',
    ]);
    expect(bin.calls().filter((c) => c.includes('disable'))).toEqual([]);
  });
});

describe('minimum versions', () => {
  it('are stated once and compared numerically', () => {
    expect(MIN_TERRAFORM.join('.')).toBe(MIN_VERSIONS.terraform);
    expect(parseVersion('Terraform v1.11.4')).toBe('1.11.4');
    expect(parseVersion('ansible-playbook [core 2.14.18]')).toBe('2.14.18');
    expect(compareVersions('1.10.0', '1.9.9')).toBeGreaterThan(0);
    expect(atLeast('20.9.0', 'node')).toBe(true);
    expect(atLeast('20.8.1', 'node')).toBe(false);
    expect(atLeast('22.11.0', 'node')).toBe(true);
    expect(atLeast('2.13.9', 'ansible')).toBe(false);
  });

  it('package.json engines: Node 20 from the same minimum, and 22 LTS', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`^${MIN_VERSIONS.node} || ^22.0.0`);
  });

  it('doctor refuses a tool older than its minimum, and names both versions', async () => {
    fakeBin({
      terraform: 'echo "Terraform v1.4.7"',
      'ansible-playbook': 'echo "ansible-playbook [core 2.12.10]"',
    });
    const checks = await runDoctor();
    const tf = checks.find((c) => c.id === 'terraform')!;
    expect(tf).toMatchObject({ ok: false, label: `Terraform >= ${MIN_VERSIONS.terraform}` });
    expect(tf.found).toBe(`Terraform v1.4.7, older than ${MIN_VERSIONS.terraform}`);
    expect(tf.fix).toContain('Terraform');
    const ansible = checks.find((c) => c.id === 'ansible')!;
    expect(ansible).toMatchObject({ ok: false, found: `ansible-playbook [core 2.12.10], older than ${MIN_VERSIONS.ansible}` });
    expect(checks.find((c) => c.id === 'node')).toMatchObject({ ok: true, found: process.version });
  });

  it('doctor accepts the minimum itself', async () => {
    fakeBin({
      terraform: `echo "Terraform v${MIN_VERSIONS.terraform}"`,
      'ansible-playbook': `echo "ansible-playbook [core ${MIN_VERSIONS.ansible}]"`,
    });
    const checks = await runDoctor();
    expect(checks.find((c) => c.id === 'terraform')!.ok).toBe(true);
    expect(checks.find((c) => c.id === 'ansible')!.ok).toBe(true);
  });
});
