// CP9 "statistics of the services" and CP10 "operate a supervision", checked on the running lab:
// what the candidate's Prometheus really scrapes and evaluates, and what its receiver really got.
// Every query runs on the candidate's mon server over SSH (see src/modules/monitoring/remote.ts).
import { readFileSync } from 'node:fs';
import { isNotFound } from '../../core/errors.ts';
import { parse } from 'yaml';
import { drillLogFile } from './drills.ts';
import { listReports, MON_REPORT_TIMER, MON_REPORTS_DIR, reportAgeDays, reportPages, reportsDir } from './app-report-files.ts';
import { SLO_ALERT_NAMES, sloRuleGroups } from './slo-rules.ts';
import {
  firingThenResolved,
  monServer,
  promConfig,
  promQuery,
  promRules,
  promTargets,
  readEvents,
  rootScript,
  shq,
} from './remote.ts';
import { FAMILIES } from './types.ts';
import type { CheckContext, CheckDefinition, CheckOutcome } from '../../checks/types.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';
import type { LabServer } from '../../core/lab-server.ts';

const PATH = 'src/modules/monitoring/checks.ts';

/** The drills of this cohort recorded by `asd-lab drill` on the controller (drills.jsonl in the lab state). */
export function drillsRun(
  cohort: CheckContext['cohort'],
): { scenario: string; candidate: string; server: string; ok: boolean; error?: string }[] {
  let text = '';
  try {
    text = readFileSync(drillLogFile(cohort), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return []; // no drill run yet
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { scenario: string; candidate: string; server: string; ok: boolean; error?: string }];
      } catch {
        // a line cut by a crash: that drill did not complete, the check asks for a new one
        return [];
      }
    });
}
const machine = (s: LabServer) => s.machine ?? s.name;

/** Run a check against the candidate's mon server: not-run without one, fail when it is down. */
async function onMon(ctx: CheckContext, fn: (mon: LabServer) => Promise<CheckOutcome | CheckOutcome[]>): Promise<CheckOutcome[]> {
  if (!ctx.cohort.modules.monitoring)
    return [{ status: 'not-run', evidence: 'the cohort turns the monitoring module off (modules.monitoring: false)' }];
  const mon = monServer(ctx.servers);
  if (!mon)
    return [{ status: 'not-run', evidence: "no server with role mon in this candidate's lab: nothing runs the supervision" }];
  if (mon.state !== 'running') return [{ status: 'fail', evidence: `the monitoring server ${machine(mon)} is ${mon.state}` }];
  try {
    const r = await fn(mon);
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    return [{ status: 'fail', evidence: `monitoring server ${machine(mon)}: ${(err as Error).message}` }];
  }
}

export const agentsUp: CheckDefinition = {
  id: 'monitoring-agents-up',
  criterion: 'CP9.1',
  path: PATH,
  description: "every running server has its node_exporter scraped successfully by the candidate's Prometheus",
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const servers = ctx.servers.filter((s) => s.state === 'running');
      let byInstance = new Map<string, string>();
      let down = servers;
      // Right after a deployment the first scrape may not have happened yet: give it two intervals.
      for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 15_000));
        const up = await promQuery(mon, 'up{job="node"}');
        byInstance = new Map(up.map((s) => [s.metric.instance ?? '', s.value[1]]));
        down = servers.filter((s) => byInstance.get(machine(s)) !== '1');
        if (down.length === 0) break;
      }
      return {
        status: down.length === 0 && servers.length > 0 ? 'pass' : 'fail',
        evidence: `up{job="node"}: ${servers.map((s) => `${machine(s)}=${byInstance.get(machine(s)) ?? 'not scraped'}`).join(', ')}`,
      };
    }),
};

export const sloRulesLoaded: CheckDefinition = {
  id: 'monitoring-slo-rules',
  criterion: 'CP9.2',
  path: PATH,
  description: "every environment's SLO has its recording rules and burn-rate alerts loaded, with the cohort's objectives",
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const groups = await promRules(mon);
      const expected = sloRuleGroups(ctx.cohort.slo, 'docs/runbooks');
      const problems: string[] = [];
      const seen: string[] = [];
      for (const g of expected) {
        const live = groups.find((x) => x.name === g.name);
        if (!live) {
          problems.push(`group ${g.name} not loaded`);
          continue;
        }
        const want = g.rules.map((r) => ('record' in r ? r.record : r.alert));
        const have = live.rules.map((r) => r.name);
        const missing = [...new Set(want.filter((w) => !have.includes(w)))];
        if (missing.length > 0) problems.push(`${g.name}: missing ${missing.join(', ')}`);
        const bad = live.rules.filter((r) => r.health === 'err');
        if (bad.length > 0)
          problems.push(`${g.name}: evaluation errors (${bad.map((r) => `${r.name}: ${r.lastError ?? ''}`).join('; ')})`);
        seen.push(`${g.name} (${live.rules.length} rules)`);
      }
      for (const env of ENVIRONMENTS) {
        const want = ctx.cohort.slo[env].availabilityPercent / 100;
        const objective = groups
          .find((x) => x.name === `slo-recording-${env}`)
          ?.rules.find((r) => r.name === 'env:slo_objective:ratio' && r.labels?.slo === 'availability');
        const got = objective ? Number(/vector\(([\d.]+)\)/.exec(objective.query)?.[1]) : undefined;
        if (got !== undefined && Math.abs(got - want) > 1e-9) {
          problems.push(
            `${env}: rules loaded for availability ${got * 100} %, the cohort declares ${ctx.cohort.slo[env].availabilityPercent} % (regenerate the rules for this cohort)`,
          );
        }
      }
      const alerts = new Set(groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => r.name)));
      const missingAlerts = SLO_ALERT_NAMES.filter((n) => !alerts.has(n));
      if (missingAlerts.length > 0) problems.push(`SLO alerts missing: ${missingAlerts.join(', ')}`);
      return {
        status: problems.length === 0 ? 'pass' : 'fail',
        evidence:
          problems.length === 0
            ? `loaded: ${seen.join(', ')}; objectives match the cohort (${ENVIRONMENTS.map((e) => `${e} ${ctx.cohort.slo[e].availabilityPercent} %, p95 < ${ctx.cohort.slo[e].p95LatencyMs} ms`).join('; ')})`
            : problems.join('; '),
      };
    }),
};

/** A series of each family that exists once the supervision runs (the application's needs the app). */
const FAMILY_SERIES: Record<string, string> = {
  resource: 'node_cpu_seconds_total',
  security: 'asd_ssh_auth_failures_total',
  availability: 'probe_success',
  data: 'pg_up',
  application: 'http_request_duration_seconds_count',
};

export const familiesPresent: CheckDefinition = {
  id: 'monitoring-indicator-families',
  criterion: 'CP9.3',
  path: PATH,
  description: 'every indicator family (resource, security, application, data, availability) has its rules loaded and healthy',
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const groups = await promRules(mon);
      const families = FAMILIES.filter((f) => f !== 'data' || ctx.cohort.modules.data);
      const problems: string[] = [];
      const notes: string[] = [];
      for (const f of families) {
        const g = groups.find((x) => x.name === f);
        if (!g) {
          problems.push(`${f}: no rule group`);
          continue;
        }
        const errors = g.rules.filter((r) => r.health === 'err');
        if (errors.length > 0) problems.push(`${f}: ${errors.length} rule(s) fail to evaluate (${errors[0]!.lastError ?? ''})`);
        const series = await promQuery(mon, `count(${FAMILY_SERIES[f]})`);
        notes.push(
          `${f}: ${g.rules.length} alert rules, ${series.length > 0 ? `${series[0]!.value[1]} series of ${FAMILY_SERIES[f]}` : `no ${FAMILY_SERIES[f]} series yet`}`,
        );
      }
      return { status: problems.length === 0 ? 'pass' : 'fail', evidence: [...problems, ...notes].join('; ') };
    }),
};

/** What the mon server gets from an exporter port with curl: "<http code> <curl exit>". */
function probeScript(host: string, port: number): string {
  const url = (scheme: string) => shq(`${scheme}://${host}:${port}/metrics`);
  return `plain=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${url('http')}; echo " $?")
anon=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert /etc/asd-lab/pki/ca.crt ${url('https')}; echo " $?")
wrong=$(printf 'user = "prometheus:not-the-password"\\n' | curl -s -o /dev/null -w '%{http_code}' --max-time 5 -K - --cacert /etc/asd-lab/pki/ca.crt ${url('https')}; echo " $?")
echo "plain=$plain"; echo "anon=$anon"; echo "wrong=$wrong"
`;
}

export const scrapesSecured: CheckDefinition = {
  id: 'monitoring-scrape-tls-auth',
  criterion: 'CP10.1',
  path: PATH,
  description:
    'every target is scraped over HTTPS verified by the lab CA with basic auth; the exporters refuse plain HTTP, no credential and a wrong password',
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const targets = await promTargets(mon);
      const config = parse(await promConfig(mon)) as {
        scrape_configs: {
          job_name: string;
          scheme?: string;
          tls_config?: { ca_file?: string; insecure_skip_verify?: boolean };
          basic_auth?: { username?: string };
        }[];
      };
      const problems: string[] = [];
      for (const j of config.scrape_configs) {
        if (j.scheme !== 'https' || !j.tls_config?.ca_file || j.tls_config.insecure_skip_verify || !j.basic_auth?.username)
          problems.push(
            `job ${j.job_name}: scheme ${j.scheme ?? 'http'}, ca_file ${j.tls_config?.ca_file ?? 'none'}, basic_auth ${j.basic_auth?.username ?? 'none'}`,
          );
      }
      const plain = targets.filter((x) => !x.scrapeUrl.startsWith('https://'));
      if (plain.length > 0) problems.push(`not HTTPS: ${plain.map((x) => x.scrapeUrl).join(', ')}`);
      const outcomes: CheckOutcome[] = [
        {
          status: problems.length === 0 && targets.length > 0 ? 'pass' : 'fail',
          evidence:
            problems.length === 0
              ? `${targets.length} targets in ${config.scrape_configs.length} jobs, all https:// with the lab CA and basic auth`
              : problems.join('; '),
        },
      ];
      // Live refusals, asked from the mon server (the only source the firewall lets reach port 9100).
      for (const s of ctx.servers.filter((x) => x.state === 'running')) {
        const r = await rootScript(mon, probeScript(machine(s), 9100));
        const get = (k: string) => new RegExp(`^${k}=(\\d+) (\\d+)$`, 'm').exec(r.stdout)?.slice(1) ?? ['?', '?'];
        const [plainCode] = get('plain');
        const [anonCode] = get('anon');
        const [wrongCode] = get('wrong');
        // A TLS server answers a plain-HTTP request with 400 and no metrics; 000 means no answer at all.
        const ok = plainCode !== '200' && anonCode === '401' && wrongCode === '401';
        outcomes.push({
          server: s.name,
          status: ok ? 'pass' : 'fail',
          evidence: `from ${machine(mon)} to ${machine(s)}:9100 — plain HTTP: ${plainCode === '400' ? '400 (TLS required)' : plainCode}, HTTPS without credential: ${anonCode}, wrong password: ${wrongCode}`,
        });
      }
      return outcomes;
    }),
};

export const drillReceived: CheckDefinition = {
  id: 'monitoring-alert-received',
  criterion: 'CP10.2',
  path: PATH,
  description: "an alert (e.g. of asd-lab drill) reached the lab's receiver, routed to its team, and its resolution too",
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const drills = drillsRun(ctx.cohort).filter((d) => d.candidate === ctx.candidate.id);
      const events = await readEvents(mon);
      const names = [...new Set(events.flatMap((e) => e.alerts.map((a) => `${a.alertname}\u0000${a.instance}`)))];
      for (const key of names.reverse()) {
        const [alertname, instance] = key.split('\u0000');
        const p = firingThenResolved(events, (a) => a.alertname === alertname && a.instance === instance);
        if (p.firing && p.resolved) {
          const routed = p.firing.alert.team === p.firing.team;
          return {
            status: routed ? 'pass' : 'fail',
            evidence: `${alertname} (${instance}, team ${p.firing.alert.team}) fired at ${p.firing.at} to receiver ${p.firing.team}, resolved at ${p.resolved.at}; ${events.length} notification(s) in the event log${routed ? '' : ': routed to the WRONG team'}`,
          };
        }
      }
      // Nothing to judge before a drill ran (or an alert resolved): not-run, with how to run one.
      if (drills.length === 0) {
        return {
          status: 'not-run',
          evidence: `no drill recorded yet and ${events.length} notification(s) with no alert fired and resolved: run "asd-lab drill ssh-failures --candidate ${ctx.candidate.id}"`,
        };
      }
      const last = drills.at(-1)!;
      return {
        status: 'fail',
        evidence: `${drills.length} drill(s) recorded (last: ${last.scenario} on ${last.server}, ${last.ok ? 'ok' : `failed: ${last.error ?? '?'}`}), but the receiver holds no alert that fired and resolved (${events.length} notification(s))`,
      };
    }),
};

export const logsCentralized: CheckDefinition = {
  id: 'monitoring-logs-central',
  criterion: 'CP10.1',
  path: PATH,
  description: "every other server's logs reach the mon server over TLS (rsyslog, port 6514)",
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const others = ctx.servers.filter((s) => s.state === 'running' && s.role !== 'mon');
      if (others.length === 0) return { status: 'not-run', evidence: 'no other running server sends logs' };
      const r = await rootScript(
        mon,
        `for h in ${others.map((s) => shq(machine(s))).join(' ')}; do
  f=/var/log/asd-lab-remote/$h/syslog.log
  if [ -s "$f" ]; then echo "$h $(( $(date +%s) - $(stat -c %Y "$f") ))"; else echo "$h none"; fi
done
ss -Htn state established '( sport = :6514 )' | wc -l
`,
      );
      const lines = r.stdout.trim().split('\n');
      const sessions = Number(lines.pop());
      const missing = lines.filter((l) => l.endsWith(' none'));
      return {
        status: missing.length === 0 && sessions >= others.length ? 'pass' : 'fail',
        evidence: `${sessions} TLS session(s) on port 6514; last message age per server (s): ${lines.join(', ')}`,
      };
    }),
};

/** What the mon server holds of the weekly report job: its timer's state and the report pages there. */
export function parseMonReports(stdout: string): { timer: string; pages: string[] } {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const timer = lines.find((l) => l.startsWith('timer='))?.slice('timer='.length) || 'unknown';
  return { timer, pages: reportPages(lines.filter((l) => !l.startsWith('timer='))) };
}

/** The newest report among the controller's and the mon server's, by the time in its name. */
export function latestReport(local: string[], mon: string[]): { name: string; where: 'controller' | 'mon' } | undefined {
  const all = [
    ...local.map((name) => ({ name, where: 'controller' as const })),
    ...mon.map((name) => ({ name, where: 'mon' as const })),
  ];
  return all.sort((a, b) => a.name.localeCompare(b.name)).at(-1);
}

export const reportsExist: CheckDefinition = {
  id: 'monitoring-reports',
  criterion: 'CP10.3',
  path: PATH,
  description:
    'statistics reports for the developers exist (weekly job on the mon server, or asd-lab report app), the latest less than 8 days old',
  run: (ctx) =>
    onMon(ctx, async (mon) => {
      const localDir = reportsDir(ctx.cohort, ctx.candidate.id);
      const local = listReports(ctx.cohort, ctx.candidate.id);
      const r = await rootScript(
        mon,
        `echo "timer=$(systemctl is-active ${shq(MON_REPORT_TIMER)} 2>/dev/null)"\nls -1 ${shq(MON_REPORTS_DIR)} 2>/dev/null || true\n`,
      );
      const there = parseMonReports(r.stdout);
      const monDir = `${machine(mon)}:${MON_REPORTS_DIR}`;
      const counts = `${there.pages.length} report(s) in ${monDir} (${MON_REPORT_TIMER}: ${there.timer}), ${local.length} in ${localDir}`;
      const latest = latestReport(local, there.pages);
      if (!latest) {
        return {
          status: 'not-run',
          evidence: `no report yet: ${counts}. The timer writes one weekly; now: "asd-lab ssh ${ctx.candidate.id} ${mon.name} -- sudo systemctl start asd-app-report.service", or "asd-lab report app --candidate ${ctx.candidate.id}" on the controller`,
        };
      }
      const ageDays = reportAgeDays(latest.name);
      return {
        status: ageDays <= 8 ? 'pass' : 'fail',
        evidence: `latest ${latest.where === 'mon' ? `${monDir}/${latest.name} (weekly job ${MON_REPORT_TIMER})` : `${localDir}/${latest.name} (asd-lab report app)`}, ${ageDays.toFixed(1)} days old (weekly expected, at most 8); ${counts}`,
      };
    }),
};

export const MONITORING_CHECKS = [
  agentsUp,
  sloRulesLoaded,
  familiesPresent,
  scrapesSecured,
  drillReceived,
  logsCentralized,
  reportsExist,
];
