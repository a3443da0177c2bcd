// `asd-lab plan`: synthesize the AWS stacks, then terraform init / plan / show for each (in parallel),
// and print what would be created per stack and per candidate, with the cost per candidate-hour.
// Nothing is created: the plan sets plan_only=true, which no apply may use (see stacks/candidate-stack.ts).
import type { Command } from 'commander';
import { Listr, ListrLogger, ListrLogLevels, type ListrTask } from 'listr2';
import { hourlyCost, PRICES_NOTE } from '../../targets/aws/pricing.ts';
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import {
  defaultConcurrency,
  initStack,
  planStack,
  prepareTerraform,
  remaining,
  summarizePlan,
  type PlannedResource,
  type StackPlan,
  type StackRef,
  type Terraform,
} from '../../targets/aws/terraform/index.ts';
import { cohortOf, globals, printJson, UsageError, UserError } from '../context.ts';
import { AMI_PLACEHOLDER } from '../../../stacks/ami.ts';
import { PENDING } from '../../../stacks/topology.ts';
import { runK8sSynth } from '../k8s-stacks.ts';
import { awsStackOptions, synthForCli, type AwsStackOptions } from '../stacks.ts';

interface PlanCliOptions extends AwsStackOptions {
  out: string;
  offline?: boolean;
  concurrency?: string;
}

const usd = (n: number) => n.toFixed(4);

export interface CandidateCost {
  candidate: string;
  stack: string;
  add: number;
  change: number;
  destroy: number;
  costPerCandidateHour: number;
  ownCostPerHour: number;
  sharedCostShare: number;
  unpriced: string[];
}

/** Everything `plan` reports, built from the stack plans (exported for tests and the benchmark). */
export function planReport(cohort: Cohort, plans: StackPlan[], tf: Pick<Terraform, 'offline' | 'mirror' | 'version'>) {
  const region = cohort.aws.region;
  const network = plans.filter((p) => p.stack.kind === 'network');
  const shared = hourlyCost(
    network.flatMap((p) => remaining(p.resources).map(priced)),
    region,
  );
  const n = cohort.candidates.length;
  const candidates: CandidateCost[] = plans
    .filter((p) => p.stack.kind === 'candidate')
    .map((p) => {
      const id = p.stack.candidate!;
      const own = hourlyCost(remaining(p.byCandidate[id] ?? []).map(priced), region);
      return {
        candidate: id,
        stack: p.stack.name,
        add: p.add,
        change: p.change,
        destroy: p.destroy,
        costPerCandidateHour: round(own.usd + shared.usd / n),
        ownCostPerHour: round(own.usd),
        sharedCostShare: round(shared.usd / n),
        unpriced: [...own.unpriced, ...shared.unpriced],
      };
    });
  const cand = plans.filter((p) => p.stack.kind === 'candidate');
  const ami = cand[0]?.variables.debian_ami_id ?? network[0]?.variables.debian_ami_id;
  return {
    cohort: cohort.cohort,
    region,
    offline: tf.offline,
    terraform: tf.version,
    mirror: tf.mirror ?? null,
    networkApplied: cand.every((p) => p.outputs.network_applied !== false),
    amiPinned: typeof ami === 'string' && ami !== '',
    pricesNote: PRICES_NOTE,
    costSplit: {
      sharedCostPerHour: round(shared.usd),
      candidates: n,
      sharePerCandidate: round(shared.usd / n),
      rule: 'network stack cost divided evenly by the number of candidates',
    },
    stacks: plans.map((p) => ({
      name: p.stack.name,
      kind: p.stack.kind,
      ...(p.stack.candidate ? { candidate: p.stack.candidate } : {}),
      add: p.add,
      change: p.change,
      destroy: p.destroy,
      costPerHour: round(hourlyCost(remaining(p.resources).map(priced), region).usd),
      missingTags: p.missingTags,
      resources: p.resources
        .filter((r) => !(r.actions.length === 1 && r.actions[0] === 'no-op'))
        .map((r) => ({ address: r.address, type: r.type, actions: r.actions })),
    })),
    candidates,
    total: { add: sum(plans, 'add'), change: sum(plans, 'change'), destroy: sum(plans, 'destroy'), stacks: plans.length },
  };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const sum = (plans: StackPlan[], k: 'add' | 'change' | 'destroy') => plans.reduce((a, p) => a + p[k], 0);
const priced = (r: PlannedResource) => ({ address: r.address, type: r.type, values: r.values });

function countByType(rs: PlannedResource[]): string {
  const m = new Map<string, number>();
  for (const r of rs) m.set(r.type, (m.get(r.type) ?? 0) + 1);
  return [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k.replace(/^aws_/, '')} ×${v}`)
    .join(', ');
}

function servers(rs: PlannedResource[]): string {
  const volumes = rs.filter((r) => r.type === 'aws_ebs_volume');
  return rs
    .filter((r) => r.type === 'aws_instance')
    .map((r) => {
      const tags = (r.values.tags ?? {}) as Record<string, string>;
      const data = volumes.find((v) => (v.values.tags as Record<string, string> | undefined)?.server === tags.server);
      return `${tags.server ?? r.address} (${tags.role ?? '?'}, ${String(r.values.instance_type)}${data ? `, +${String(data.values.size)} GiB` : ''})`;
    })
    .join(', ');
}

function printReport(report: ReturnType<typeof planReport>, plans: StackPlan[], cohort: Cohort): void {
  for (const p of plans) {
    const s = report.stacks.find((x) => x.name === p.stack.name)!;
    const changing = p.resources.filter((r) => !(r.actions.length === 1 && r.actions[0] === 'no-op'));
    console.log(
      p.stack.candidate
        ? `${t('plan.stack', { stack: p.stack.name })} — ${t('plan.candidate', { candidate: p.stack.candidate })}`
        : t('plan.stack', { stack: p.stack.name }),
    );
    console.log(`  ${t('plan.counts', { add: p.add, change: p.change, destroy: p.destroy })}`);
    const own = p.stack.candidate ? (p.byCandidate[p.stack.candidate] ?? []) : p.resources;
    const list = servers(remaining(own));
    if (list) console.log(`  ${t('plan.servers', { list })}`);
    if (changing.length > 0) console.log(`  ${t('plan.resources', { list: countByType(changing) })}`);
    if (p.stack.kind === 'network') {
      console.log(`  ${t('plan.sharedCost', { cost: usd(s.costPerHour) })}`);
    } else {
      const c = report.candidates.find((x) => x.stack === p.stack.name)!;
      console.log(`  ${t('plan.cost', { cost: usd(c.costPerCandidateHour), region: report.region })}`);
      console.log(
        `    ${t('plan.costShared', { share: usd(c.sharedCostShare), shared: usd(report.costSplit.sharedCostPerHour), count: cohort.candidates.length })}`,
      );
      if (c.unpriced.length > 0)
        console.log(`    ${t('plan.costUnknown', { region: report.region, items: c.unpriced.join(', ') })}`);
    }
  }
  console.log(t('plan.total', report.total));
  if (!report.networkApplied) console.log(`${t('plan.networkPending')}; ${t('plan.placeholders', { marker: PENDING })}`);
  if (!report.amiPinned) console.log(t('plan.amiUnpinned', { region: report.region, placeholder: AMI_PLACEHOLDER }));
  if (report.offline) console.log(t('plan.offlineNote', { mirror: report.mirror ?? '' }));
  console.log(t('plan.pricesNote', { note: report.pricesNote }));
}

export function register(program: Command): void {
  awsStackOptions(program.command('plan').description(t('cmd.plan.description')))
    .option('--offline', t('cmd.plan.opt.offline'))
    .option('--concurrency <n>', t('cmd.plan.opt.concurrency'))
    .option('--k8s', t('cmd.plan.opt.k8s'))
    .option('--kubeconfig-dir <dir>', t('cmd.plan.opt.kubeconfigDir'), '.asd-lab/kubeconfig')
    .action(async (opts: PlanCliOptions & { k8s?: boolean; kubeconfigDir?: string }, cmd: Command) => {
      if (opts.k8s) return runK8sSynth(cmd, opts, true);
      const json = globals(cmd).json ?? false;
      const { cohort } = cohortOf(cmd, { expired: 'warn' });
      if (cohort.target !== 'aws') throw new UsageError(t('cli.targetLocalNoStacks', { cohort: cohort.cohort }));
      const concurrency = opts.concurrency ? Number(opts.concurrency) : defaultConcurrency();
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new UsageError(t('cli.concurrency', { got: String(opts.concurrency) }));
      // Input problems first, then missing tools: both before anything is written.
      const { awsTopology } = await import('../../../stacks/index.ts');
      const networkStack = awsTopology(cohort).networkStack;
      const tf: Terraform = await prepareTerraform({ offline: opts.offline });

      const ctx: { stacks: StackRef[]; plans: StackPlan[] } = { stacks: [], plans: [] };
      const vars = { plan_only: 'true' };
      const stackTask = (s: StackRef, i: number): ListrTask => ({
        title: t('plan.progress.plan', { stack: s.name }),
        task: async (_c, task) => {
          if (i > 0) {
            task.title = t('plan.progress.init', { stack: s.name });
            await initStack(tf, s);
          }
          task.title = t('plan.progress.plan', { stack: s.name });
          ctx.plans[i] = summarizePlan(s, await planStack(tf, s, { vars }));
        },
      });
      const tasks = new Listr(
        [
          {
            title: t('plan.progress.synth'),
            task: async () => {
              ctx.stacks = await synthForCli(cohort, opts.out, opts);
            },
          },
          // Alone: the plugin cache is not safe for concurrent writers; once warm the others only link to it.
          { title: t('plan.progress.warmup', { stack: networkStack }), task: () => initStack(tf, ctx.stacks[0]!) },
          {
            title: 'terraform plan',
            task: (_c, task) => task.newListr(ctx.stacks.map(stackTask), { concurrent: concurrency, exitOnError: false }),
          },
        ],
        {
          renderer: process.stdout.isTTY && !json ? 'default' : 'simple',
          fallbackRenderer: 'simple',
          exitOnError: true,
          collectErrors: 'minimal',
          // With --json, stdout carries the JSON only: progress lines go to stderr.
          rendererOptions: json ? { logger: new ListrLogger({ useIcons: false, toStderr: Object.values(ListrLogLevels) }) } : {},
        } as never,
      );
      await tasks.run();
      const failed = tasks.errors.map((e) => e.error.message);
      const unplanned = ctx.stacks.filter((_, i) => !ctx.plans[i]).map((s) => s.name);
      if (failed.length > 0 || unplanned.length > 0) {
        throw new UserError(
          failed.length > 0
            ? failed.join('\n\n')
            : t('plan.terraformFailed', { command: 'plan', stack: unplanned.join(', '), detail: '' }),
        );
      }

      const report = planReport(cohort, ctx.plans, tf);
      if (json) printJson(report);
      else printReport(report, ctx.plans, cohort);
      const missing = ctx.plans.flatMap((p) => p.missingTags);
      if (missing.length > 0) {
        throw new UserError(
          t('plan.missingTags', { count: missing.length, tags: 'cohort, expires', list: missing.slice(0, 10).join(', ') }),
        );
      }
    });
}
