// The host's Debian packages: one list (scripts/host-packages.txt) for `up` and CI, so that the
// README's two commands (`up`, then `npm test`) work on a fresh machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { t } from '../../core/i18n/index.ts';
import { SCRIPTS_DIR } from '../../core/repo.ts';
import { TOOLS, type Driver } from './preflight.ts';

/** The packages of scripts/host-packages.txt ("#" starts a comment). */
export function hostPackages(): string[] {
  const file = join(SCRIPTS_DIR, 'host-packages.txt');
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** Debian packages for the tools `up` needs and does not find (empty when all are there). */
export async function missingPackages(driver: Driver): Promise<string[]> {
  const needed = [...TOOLS.filter((x) => x.drivers.includes(driver)), { command: 'ansible-playbook', pkg: 'ansible' }];
  const missing = new Set<string>();
  // With dpkg, the whole host list is checked (the modules' tools: buildah, sshfs, graphviz...).
  const dpkg = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...hostPackages()], { reject: false });
  if (dpkg.exitCode !== null && (dpkg.stdout || dpkg.stderr)) {
    const installed = new Set(
      dpkg.stdout
        .split('\n')
        .filter((l) => l.endsWith(' installed'))
        .map((l) => l.split(' ')[0]),
    );
    for (const pkg of hostPackages()) if (!installed.has(pkg)) missing.add(pkg);
  }
  for (const tool of needed) {
    const r = await execa(
      'sh',
      ['-c', `command -v ${tool.command} || test -x /usr/sbin/${tool.command} || test -x /sbin/${tool.command}`],
      { reject: false },
    );
    if (r.exitCode !== 0) missing.add(tool.pkg);
  }
  return [...missing];
}

/** Install missing packages with apt when we are root on Debian/Ubuntu; otherwise say how. */
export async function installPrerequisites(driver: Driver, say: (line: string) => void): Promise<void> {
  const pkgs = await missingPackages(driver);
  if (pkgs.length === 0) return;
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) return; // preflight lists each missing tool with its package
  say(t('up.installing', { packages: pkgs.join(' ') }));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-qq'], { env });
  await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}
