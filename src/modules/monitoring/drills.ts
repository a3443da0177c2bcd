import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { firingThenResolved, promAlerts, readEvents, rootScript, shq, type PromAlert } from './remote.ts';
import { cohortPaths } from '../../core/state.ts';
import type { LabServer } from '../../core/lab-server.ts';
import { AsdError, type AsdErrorOptions } from '../../core/errors.ts';

/** Where `asd-lab drill` records each result (the lab state on the controller, one JSON line each). */
export function drillLogFile(cohort: Cohort): string {
  return cohortPaths(cohort.cohort).drills;
}

export const SCENARIOS = ['ssh-failures', 'disk-fill', 'node-down', 'pg-down'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** A fault the drill refuses to inject (and why), before anything is changed. */
export class DrillRefused extends AsdError {
  constructor(message: string, opts: AsdErrorOptions = {}) {
    super(message, { kind: 'user', ...opts });
  }
}

export interface Scenario {
  name: ScenarioName;
  /** The alert the fault must raise. */
  alert: string;
  /** Roles tried in order when no --server is given. */
  roles: string[];
  /** Checks before the fault; throws DrillRefused. */
  precheck(target: LabServer, opts: DrillOptions): Promise<void>;
  /** Injects the fault; returns what was done. */
  trigger(target: LabServer, opts: DrillOptions): Promise<string>;
  /** Undoes it; returns what was done. Safe to call twice. */
  restore(target: LabServer, opts: DrillOptions): Promise<string>;
}

export interface DrillOptions {
  /** Failed SSH logins (ssh-failures). */
  attempts: number;
  /** Directory whose file system is filled (disk-fill). */
  fillPath: string;
  /** The most the drill writes (disk-fill): it refuses a bigger file system rather than filling a shared disk. */
  maxFillBytes: number;
}

export const DRILL_DEFAULTS: DrillOptions = { attempts: 12, fillPath: '/var/tmp', maxFillBytes: 2 * 1024 ** 3 };

/** Share of the file system the disk drill leaves free: below the 5 % of the critical alert. */
export const FILL_LEAVE_FREE = 0.03;
const FILL_FILE = 'asd-drill-fill';

async function run(server: LabServer, script: string, timeoutMs = 120_000): Promise<string> {
  const r = await rootScript(server, `set -e\n${script}`, timeoutMs);
  if (r.code !== 0)
    throw new Error(`${server.machine ?? server.name}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  return r.stdout;
}

/** Bytes to write so that a file system of `size` with `avail` free keeps only FILL_LEAVE_FREE free. */
export function fillBytes(size: number, avail: number): number {
  return Math.max(0, Math.floor(avail - FILL_LEAVE_FREE * size));
}

async function serviceActive(server: LabServer, unit: string): Promise<boolean> {
  const r = await rootScript(server, `systemctl is-active ${shq(unit)}`);
  return r.stdout.trim() === 'active';
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;

export const SCENARIO_DEFS: Record<ScenarioName, Scenario> = {
  'ssh-failures': {
    name: 'ssh-failures',
    alert: 'SshAuthFailuresHigh',
    roles: ['app', 'gateway', 'db', 'k8s', 'mon'],
    async precheck(target) {
      if (!(await serviceActive(target, 'asd-ssh-metrics.timer')))
        throw new DrillRefused(t('drill.noCollector', { server: target.machine ?? target.name, unit: 'asd-ssh-metrics.timer' }));
    },
    async trigger(target, opts) {
      // From the server to itself: fail2ban never bans the loopback, so the lab stays reachable.
      // Unknown users, no key offered: each attempt is one "Invalid user" line in sshd's journal.
      await run(
        target,
        `for i in $(seq ${opts.attempts}); do
  ssh -n -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \\
    -o PreferredAuthentications=publickey -o IdentityFile=/dev/null -o LogLevel=QUIET asd-drill-$i@127.0.0.1 true || true
done
`,
      );
      return t('drill.did.sshFailures', { count: opts.attempts, server: target.machine ?? target.name });
    },
    async restore() {
      return t('drill.did.sshRestore');
    },
  },
  'disk-fill': {
    name: 'disk-fill',
    alert: 'HostDiskSpaceLow',
    roles: ['app', 'gateway', 'db', 'k8s', 'mon'],
    async precheck(target, opts) {
      const out = await run(target, `df -B1 --output=size,avail,target ${shq(opts.fillPath)} | tail -n 1`);
      const [size, avail, mount] = out.trim().split(/\s+/);
      const need = fillBytes(Number(size), Number(avail));
      if (!Number.isFinite(need) || !mount) throw new DrillRefused(`df ${opts.fillPath}: ${out.trim()}`);
      if (need > opts.maxFillBytes) {
        throw new DrillRefused(
          t('drill.diskTooBig', {
            server: target.machine ?? target.name,
            mount,
            size: gib(Number(size)),
            need: gib(need),
            max: gib(opts.maxFillBytes),
          }),
        );
      }
    },
    async trigger(target, opts) {
      const file = `${opts.fillPath.replace(/\/+$/, '')}/${FILL_FILE}`;
      const out = await run(
        target,
        `set -- $(df -B1 --output=size,avail ${shq(opts.fillPath)} | tail -n 1)
n=$(( $2 - $1 * ${Math.round(FILL_LEAVE_FREE * 100)} / 100 ))
fallocate -l "$n" ${shq(file)} 2>/dev/null || dd if=/dev/zero of=${shq(file)} bs=1M count=$(( n / 1048576 )) status=none
df -h --output=pcent,target ${shq(opts.fillPath)} | tail -n 1
`,
        600_000,
      );
      return t('drill.did.diskFill', { file, server: target.machine ?? target.name, usage: out.trim() });
    },
    async restore(target, opts) {
      const file = `${opts.fillPath.replace(/\/+$/, '')}/${FILL_FILE}`;
      await run(target, `rm -f ${shq(file)}`);
      return t('drill.did.removed', { file });
    },
  },
  'node-down': {
    name: 'node-down',
    alert: 'NodeDown',
    roles: ['app', 'gateway', 'db', 'k8s'],
    async precheck(target) {
      if (!(await serviceActive(target, 'prometheus-node-exporter')))
        throw new DrillRefused(t('drill.notActive', { server: target.machine ?? target.name, unit: 'prometheus-node-exporter' }));
    },
    async trigger(target) {
      await run(target, 'systemctl stop prometheus-node-exporter');
      return t('drill.did.stopped', { unit: 'prometheus-node-exporter', server: target.machine ?? target.name });
    },
    async restore(target) {
      await run(target, 'systemctl start prometheus-node-exporter');
      return t('drill.did.started', { unit: 'prometheus-node-exporter', server: target.machine ?? target.name });
    },
  },
  'pg-down': {
    name: 'pg-down',
    alert: 'PostgresDown',
    roles: ['db'],
    async precheck(target) {
      for (const unit of ['postgresql', 'prometheus-postgres-exporter']) {
        if (!(await serviceActive(target, unit)))
          throw new DrillRefused(t('drill.notActive', { server: target.machine ?? target.name, unit }));
      }
    },
    async trigger(target) {
      await run(target, 'systemctl stop postgresql');
      return t('drill.did.stopped', { unit: 'postgresql', server: target.machine ?? target.name });
    },
    async restore(target) {
      await run(target, 'systemctl start postgresql');
      return t('drill.did.started', { unit: 'postgresql', server: target.machine ?? target.name });
    },
  },
};

/** The server a drill targets: the named one, else the first running one of the scenario's roles. */
export function drillTarget(servers: LabServer[], scenario: Scenario, name?: string): LabServer {
  if (name) {
    const s = servers.find((x) => x.name === name || x.machine === name);
    if (!s) throw new DrillRefused(t('drill.unknownServer', { server: name, known: servers.map((x) => x.name).join(', ') }));
    if (s.state !== 'running') throw new DrillRefused(t('drill.serverNotRunning', { server: name, state: s.state }));
    return s;
  }
  for (const role of scenario.roles) {
    const s = servers.find((x) => x.role === role && x.state === 'running');
    if (s) return s;
  }
  throw new DrillRefused(t('drill.noTarget', { scenario: scenario.name, roles: scenario.roles.join(', ') }));
}

export type StepName = 'triggered' | 'firing' | 'notified' | 'restored' | 'resolved' | 'resolvedNotified';
export const STEPS: StepName[] = ['triggered', 'firing', 'notified', 'restored', 'resolved', 'resolvedNotified'];

export interface DrillStep {
  step: StepName;
  at: string;
  elapsedSeconds: number;
  detail: string;
}

export interface DrillResult {
  scenario: ScenarioName;
  candidate: string;
  server: string;
  alert: string;
  ok: boolean;
  steps: DrillStep[];
  error?: string;
}

export interface DrillRun {
  scenario: Scenario;
  candidate: string;
  target: LabServer;
  mon: LabServer;
  opts: DrillOptions;
  /** Bound of the whole drill. */
  timeoutMs: number;
  pollMs?: number;
  onStep?: (s: DrillStep) => void;
}

const instanceOf = (s: LabServer) => s.machine ?? s.name;

/** Runs one drill; the fault is always undone, even on timeout or error. */
export async function runDrill(r: DrillRun): Promise<DrillResult> {
  const instance = instanceOf(r.target);
  const matches = (a: { labels: Record<string, string> }) =>
    a.labels.alertname === r.scenario.alert && a.labels.instance === instance;
  const result: DrillResult = {
    scenario: r.scenario.name,
    candidate: r.candidate,
    server: instance,
    alert: r.scenario.alert,
    ok: false,
    steps: [],
  };
  const poll = r.pollMs ?? 5000;
  await r.scenario.precheck(r.target, r.opts);
  const already = (await promAlerts(r.mon)).filter(matches);
  if (already.length > 0) throw new DrillRefused(t('drill.alreadyFiring', { alert: r.scenario.alert, server: instance }));

  const t0 = Date.now();
  const deadline = t0 + r.timeoutMs;
  const add = (step: StepName, detail: string, at = Date.now()) => {
    const s = { step, at: new Date(at).toISOString(), elapsedSeconds: Math.round((at - t0) / 1000), detail };
    result.steps.push(s);
    r.onStep?.(s);
  };
  // Ctrl-C (or a TERM) during the wait ends the drill through the same path: the fault is undone.
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const waitFor = async <T>(what: StepName, probe: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      if (interrupted) throw new Error(t('drill.interrupted'));
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline)
        throw new Error(t('drill.timeout', { step: t(`drill.step.${what}`), seconds: Math.round(r.timeoutMs / 1000) }));
      await new Promise((res) => setTimeout(res, poll));
    }
  };
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    add('restored', await r.scenario.restore(r.target, r.opts));
  };
  try {
    add('triggered', await r.scenario.trigger(r.target, r.opts), t0);
    const firing = await waitFor('firing', async () =>
      (await promAlerts(r.mon)).find((a: PromAlert) => matches(a) && a.state === 'firing'),
    );
    add('firing', `${firing.labels.alertname} ${firing.labels.severity ?? ''} (${firing.annotations.summary ?? ''})`.trim());
    const byLog = (e: { alertname: string; instance: string }) => e.alertname === r.scenario.alert && e.instance === instance;
    const notified = await waitFor('notified', async () => firingThenResolved(await readEvents(r.mon), byLog, t0 - 1000).firing);
    add('notified', t('drill.detail.team', { team: notified.team }), Date.parse(notified.at));
    await restore();
    const tRestore = Date.now();
    await waitFor('resolved', async () => ((await promAlerts(r.mon)).some(matches) ? undefined : true));
    add('resolved', '');
    const resolved = await waitFor(
      'resolvedNotified',
      async () => firingThenResolved(await readEvents(r.mon), byLog, t0 - 1000).resolved,
    );
    add('resolvedNotified', t('drill.detail.team', { team: resolved.team }), Math.max(Date.parse(resolved.at), tRestore));
    result.ok = true;
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      await restore();
    } catch (err) {
      result.error = `${result.error ? `${result.error}; ` : ''}${t('drill.restoreFailed', { detail: (err as Error).message })}`;
    }
  }
  return result;
}

export function renderTimeline(r: DrillResult): string {
  const lines = [t('drill.header', { scenario: r.scenario, server: r.server, alert: r.alert })];
  for (const s of r.steps)
    lines.push(
      `  +${String(s.elapsedSeconds).padStart(4)} s  ${s.at.replace(/\.\d+Z$/, 'Z')}  ${t(`drill.step.${s.step}`)}${s.detail ? `: ${s.detail}` : ''}`,
    );
  lines.push(
    r.ok ? t('drill.ok', { seconds: r.steps.at(-1)?.elapsedSeconds ?? 0 }) : t('drill.failed', { error: r.error ?? '?' }),
  );
  return lines.join('\n');
}
