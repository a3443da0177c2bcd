// Text renderings shared by several commands (commands never import each other).
import { getLang, t } from '../core/i18n/index.ts';
import type { DownPlan, UpPlan, UpResult } from '../lifecycle/index.ts';
import { verdictText } from '../evidence/verify-report/verdict.ts';

/** The end of `up` (and of `reproduce`): one line per candidate, then its verdict and the checks' counts. */
export function upSummary(result: UpResult, file: string): string[] {
  const lines: string[] = [];
  for (const r of result.candidates) {
    lines.push(
      r.ok
        ? r.converge?.ran === false
          ? t('up.summary.unchanged', { candidate: r.id, servers: r.servers.length })
          : t('up.summary.ok', { candidate: r.id, servers: r.servers.length, changed: r.changed })
        : t('up.summary.failed', { candidate: r.id, step: r.step ?? '?', error: r.error ?? '?' }),
    );
    if (!r.ok) lines.push(`  ${t('up.retry', { file, candidate: r.id })}`);
  }
  const j = result.jump;
  if (j?.error) lines.push(t('up.summary.failed', { candidate: 'jump', step: t('up.jump', { port: j.port }), error: j.error }));
  else if (j) lines.push(t('up.summary.jump', { port: j.port, accounts: j.accounts.length }));
  for (const r of j?.refused ?? []) lines.push(`  ${t('access.noAccount', { candidate: r.candidate, reason: r.reason })}`);
  for (const c of result.verify?.candidates ?? []) {
    const count = (s: string) => c.checks.filter((x) => x.status === s).length;
    lines.push(
      `${c.id}: ${t('up.verifyHint', { verdict: verdictText(c, getLang()), pass: count('pass'), fail: count('fail'), notRun: count('not-run') })}`,
    );
  }
  return lines;
}

/** `up --json`: the result with each candidate's servers by name. */
export function upJson(result: UpResult) {
  return {
    cohort: result.cohort,
    candidates: result.candidates.map(({ servers, ...r }) => ({ ...r, servers: servers.map((s) => s.name) })),
    jump: result.jump,
    verify: result.verify,
  };
}

/** `up --dry-run`: what up would create or change, one line per thing. */
export function upPlanLines(plan: UpPlan): string[] {
  const lines = [t('up.dry.header', { state: plan.stateDir })];
  lines.push(
    plan.packages.length ? t('up.dry.packages', { packages: plan.packages.join(' ') }) : t('up.dry.packagesNone'),
    ...(plan.hostServices.length ? [t('up.dry.hostServices', { units: plan.hostServices.join(' ') })] : []),
    t(plan.image.action === 'build' ? 'up.dry.imageBuild' : 'up.dry.imageReuse', { dir: plan.image.dir }),
    t(plan.labKey.action === 'create' ? 'up.dry.keyCreate' : 'up.dry.keyReuse', { file: plan.labKey.file }),
  );
  for (const c of plan.candidates) {
    lines.push(t('up.candidate', { candidate: c.id }));
    const n = c.network;
    lines.push(`  ${t(n.action === 'create' ? 'up.dry.networkCreate' : 'up.dry.networkReuse', { ...n })}`);
    for (const s of c.servers) {
      const key =
        s.action === 'create' ? 'up.dry.serverCreate' : s.action === 'start' ? 'up.dry.serverStart' : 'up.dry.serverKeep';
      lines.push(`  ${t(key, { server: s.name, address: s.address, role: s.role, memory: s.memoryMiB, cpus: s.cpus })}`);
    }
    lines.push(`  ${t('up.dry.ansible', { playbook: c.ansible.playbook, limit: c.ansible.limit })}`);
  }
  if (plan.verify) lines.push(t('up.dry.verify'));
  return lines;
}

/** What `down` lists before asking on a terminal. */
export function downPlanLines(plan: DownPlan): string[] {
  const lines = [t('down.willRemove', { cohort: plan.cohort })];
  for (const c of plan.candidates) {
    const servers = c.servers.length ? c.servers.join(', ') : t('down.noServers');
    lines.push(t('down.willRemoveCandidate', { candidate: c.id, servers, bridge: c.bridge }));
  }
  if (plan.purge) lines.push(t('down.willPurge', { dir: plan.purge }));
  return lines;
}
