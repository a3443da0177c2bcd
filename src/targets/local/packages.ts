// The host's Debian packages: one list (scripts/host-packages.txt) for `up` and CI, so that the
// README's two commands (`up`, then `npm test`) work on a fresh machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { t } from '../../core/i18n/index.ts';
import { SCRIPTS_DIR } from '../../core/repo.ts';
import { TOOLS, type Driver } from './preflight.ts';

export interface HostPackage {
  name: string;
  /** systemd units the package starts on install that must not run on the host. */
  stop: string[];
}

/** scripts/host-packages.txt: "package [stop: unit...] [# what it is for]" a line. */
export function hostPackageList(file = join(SCRIPTS_DIR, 'host-packages.txt')): HostPackage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const [name, ...rest] = l.split(/\s+/);
      const at = rest.indexOf('stop:');
      return { name: name!, stop: at < 0 ? [] : rest.slice(at + 1) };
    });
}

/** The package names of scripts/host-packages.txt. */
export function hostPackages(): string[] {
  return hostPackageList().map((p) => p.name);
}

/** Whether systemd runs this host (PID 1), as sd_booted(3) tells it: /run/systemd/system exists. */
export function systemdIsPid1(): boolean {
  return existsSync('/run/systemd/system');
}

export interface HostServicesOptions {
  /** Injected in tests; default systemdIsPid1. */
  isSystemdPid1?: () => boolean;
  /** The systemctl to run (tests put a fake one first on PATH). */
  systemctl?: string;
  packages?: HostPackage[];
  say?: (line: string) => void;
  /** Only report what would be stopped (up --dry-run). */
  dryRun?: boolean;
}

/**
 * Stop and disable the services the host packages started (postgresql, prometheus...): they would
 * run on the trainer's machine for nothing, and take ports. Only where systemd is PID 1: elsewhere
 * nothing starts them, and nothing is said. Returns the units stopped (or to stop, in a dry run).
 */
export async function quietHostServices(opts: HostServicesOptions = {}): Promise<string[]> {
  if (!(opts.isSystemdPid1 ?? systemdIsPid1)()) return [];
  const systemctl = opts.systemctl ?? 'systemctl';
  const done: string[] = [];
  for (const pkg of opts.packages ?? hostPackageList()) {
    for (const unit of pkg.stop) {
      // Neither enabled nor running (or not installed: is-enabled fails): nothing to do, nothing said.
      const enabled = await execa(systemctl, ['is-enabled', unit], { reject: false });
      const active = await execa(systemctl, ['is-active', unit], { reject: false });
      const isEnabled = enabled.exitCode === 0 && /^enabled/.test(enabled.stdout.trim());
      if (!isEnabled && active.exitCode !== 0) continue;
      if (!opts.dryRun) await execa(systemctl, ['disable', '--now', unit]);
      opts.say?.(t(opts.dryRun ? 'up.hostServiceWouldStop' : 'up.hostServiceStopped', { unit, package: pkg.name }));
      done.push(unit);
    }
  }
  return done;
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

/** As root: install what is missing, then stop the services those packages start on the host. */
export async function prepareHost(driver: Driver, say: (line: string) => void, opts: HostServicesOptions = {}): Promise<void> {
  await installPrerequisites(driver, say);
  if (process.getuid?.() !== 0) return; // systemctl disable needs root; preflight already says up needs it
  await quietHostServices({ ...opts, say });
}
