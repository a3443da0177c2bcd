// `asd-lab app image|deploy|smoke|update|rollback|status|down`: the reference application's
// containers on the local target (CP5, CP7). See docs/containers.md.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { deploy, down, loadState, rollback, smoke, status, update, type EnvContext } from '../../modules/containers/deploy.ts';
import { buildImage, readImageRecord } from '../../modules/containers/image.ts';
import { resolveStateDir } from '../../targets/local/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { cohortOf, globals, printJson, UsageError, UserError } from '../context.ts';
import { ENVIRONMENTS, type Environment } from '../../core/environments.ts';

const VERSIONS = ['v1', 'v2'];

function checkVersion(v: string): string {
  if (!VERSIONS.includes(v)) throw new UsageError(t('app.badVersion', { got: v, known: VERSIONS.join(', ') }));
  return v;
}

function checkEnv(e: string): Environment {
  if (!(ENVIRONMENTS as readonly string[]).includes(e))
    throw new UsageError(t('app.badEnv', { got: e, known: ENVIRONMENTS.join(', ') }));
  return e as Environment;
}

function pickCandidate(cohort: Cohort, id?: string) {
  if (id) {
    const c = cohort.candidates.find((x) => x.id === id);
    if (!c)
      throw new UsageError(t('lab.unknownCandidate', { candidate: id, known: cohort.candidates.map((x) => x.id).join(', ') }));
    return c;
  }
  if (cohort.candidates.length !== 1)
    throw new UsageError(t('app.candidateRequired', { known: cohort.candidates.map((x) => x.id).join(', ') }));
  return cohort.candidates[0]!;
}

function context(cmd: Command, env: string, candidate?: string): { ctx: EnvContext; json: boolean } {
  const g = globals(cmd);
  const { cohort } = cohortOf(cmd);
  if (cohort.target !== 'local') throw new UsageError(t('app.localOnly', { cohort: cohort.cohort }));
  const e = checkEnv(env);
  const cand = pickCandidate(cohort, candidate);
  const say = g.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  return { ctx: { cohort, candidate: cand, env: e, stateDir: resolveStateDir(), say }, json: !!g.json };
}

export function register(program: Command): void {
  const app = program.command('app').description(t('cmd.app.description'));

  app
    .command('image')
    .description(t('cmd.app.image.description'))
    .option('--version <v>', t('cmd.app.image.opt.version'), 'v1')
    .action(async (opts: { version: string }, cmd: Command) => {
      const g = globals(cmd);
      const version = checkVersion(opts.version);
      const say = g.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      const r = await buildImage({ version, stateDir: resolveStateDir(), say });
      if (g.json) printJson(r);
      else {
        console.log(
          t('app.imageBuilt', {
            ref: r.ref,
            digest: r.digest,
            size: (r.size / 1048576).toFixed(1),
            compressed: (r.compressedSize / 1048576).toFixed(1),
            seconds: r.buildSeconds.toFixed(1),
          }),
        );
        console.log(t('app.imageSbom', { sbom: r.sbom, node: `${r.node.package} ${r.node.version}` }));
      }
    });

  app
    .command('deploy')
    .description(t('cmd.app.deploy.description'))
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .option('--version <v>', t('cmd.app.deploy.opt.version'), 'v1')
    .option('--candidate <id>', t('cmd.app.deploy.opt.candidate'))
    .option('--database-url-file <file>', t('cmd.app.deploy.opt.databaseUrlFile'))
    .action(async (env: string, opts: { version: string; candidate?: string; databaseUrlFile?: string }, cmd: Command) => {
      const version = checkVersion(opts.version);
      const { ctx, json } = context(cmd, env, opts.candidate);
      if (!(await readImageRecord(ctx.stateDir, version))) throw new UserError(t('app.imageMissing', { version }), 1);
      const r = await deploy(ctx, version, { databaseUrlFile: opts.databaseUrlFile });
      if (json)
        printJson({
          candidate: ctx.candidate.id,
          env: ctx.env,
          changed: r.changed,
          seconds: r.seconds,
          startSeconds: r.startSeconds,
          update: r.update,
          state: r.state,
        });
      else {
        console.log(
          t('app.deployed', {
            candidate: ctx.candidate.id,
            env: ctx.env,
            version: r.state.version,
            url: `http://${r.state.edge?.ip}:8080/`,
            seconds: r.seconds.toFixed(1),
          }),
        );
        if (r.update)
          console.log(
            t('app.deployedByUpdate', {
              from: r.update.from,
              version: r.state.version,
              replaced: r.update.replaced,
              total: r.update.load?.total ?? 0,
              failed: r.update.load?.failed ?? 0,
            }),
          );
      }
      // Like `app update`: a failed request during the rolling update fails the deploy.
      if (r.update?.load && r.update.load.failed > 0) process.exitCode = 1;
    });

  const updateLike =
    (name: 'update' | 'rollback') =>
    async (env: string, opts: { version?: string; candidate?: string; load: boolean }, cmd: Command) => {
      const version = name === 'update' ? checkVersion(opts.version ?? '') : '';
      const { ctx, json } = context(cmd, env, opts.candidate);
      if (!(await loadState(ctx))?.edge)
        throw new UserError(t('app.notDeployed', { candidate: ctx.candidate.id, env: ctx.env }), 1);
      let r;
      if (name === 'update') {
        if (!(await readImageRecord(ctx.stateDir, version))) throw new UserError(t('app.imageMissing', { version }), 1);
        r = await update(ctx, version, { load: opts.load });
      } else r = await rollback(ctx, { load: opts.load });
      if (json)
        printJson({
          candidate: ctx.candidate.id,
          env: ctx.env,
          ok: r.ok,
          reason: r.reason,
          version: r.state.version,
          replaced: r.replaced,
          seconds: r.seconds,
          load: r.load,
        });
      else if (r.ok)
        console.log(
          t('app.updated', {
            candidate: ctx.candidate.id,
            env: ctx.env,
            version: r.state.version,
            replaced: r.replaced,
            seconds: r.seconds.toFixed(1),
            total: r.load?.total ?? 0,
            failed: r.load?.failed ?? 0,
          }),
        );
      else
        console.error(
          t('app.updateRolledBack', {
            candidate: ctx.candidate.id,
            env: ctx.env,
            version: r.state.version,
            reason: r.reason ?? '',
          }),
        );
      if (!r.ok || (r.load && r.load.failed > 0)) process.exitCode = 1;
    };

  app
    .command('update')
    .description(t('cmd.app.update.description'))
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .requiredOption('--version <v>', t('cmd.app.update.opt.version'))
    .option('--candidate <id>', t('cmd.app.update.opt.candidate'))
    .option('--no-load', t('cmd.app.update.opt.noLoad'))
    .action(updateLike('update'));

  app
    .command('rollback')
    .description(t('cmd.app.rollback.description'))
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .option('--candidate <id>', t('cmd.app.rollback.opt.candidate'))
    .option('--no-load', t('cmd.app.rollback.opt.noLoad'))
    .action(updateLike('rollback'));

  app
    .command('smoke')
    .description(t('cmd.app.smoke.description'))
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .option('--candidate <id>', t('cmd.app.smoke.opt.candidate'))
    .action(async (env: string, opts: { candidate?: string }, cmd: Command) => {
      const { ctx, json } = context(cmd, env, opts.candidate);
      if (!(await loadState(ctx))?.edge)
        throw new UserError(t('app.notDeployed', { candidate: ctx.candidate.id, env: ctx.env }), 1);
      const r = await smoke(ctx);
      if (json) printJson({ candidate: ctx.candidate.id, env: ctx.env, ...r });
      else {
        for (const s of r.steps) console.log(`  ${s.ok ? 'PASS' : 'FAIL'} ${s.step}: ${s.detail}`);
        console.log(
          t('app.smokeSummary', { env: ctx.env, url: r.url, passed: r.steps.filter((s) => s.ok).length, total: r.steps.length }),
        );
      }
      if (!r.ok) process.exitCode = 1;
    });

  app
    .command('status')
    .description(t('cmd.app.status.description'))
    .argument('<env>', ENVIRONMENTS.join(' | '))
    .option('--candidate <id>', t('cmd.app.status.opt.candidate'))
    .action(async (env: string, opts: { candidate?: string }, cmd: Command) => {
      const { ctx, json } = context(cmd, env, opts.candidate);
      const r = await status(ctx);
      if (json)
        printJson({
          candidate: ctx.candidate.id,
          env: ctx.env,
          version: r.state?.version,
          runtime: r.state?.runtime,
          volumeMounted: r.volumeMounted,
          instances: r.instances,
        });
      else if (!r.state || !r.instances.length) console.log(t('app.notDeployed', { candidate: ctx.candidate.id, env: ctx.env }));
      else {
        console.log(
          t('app.statusHeader', {
            candidate: ctx.candidate.id,
            env: ctx.env,
            version: r.state.version,
            runtime: r.state.runtime,
            volume: r.volumeMounted ? r.state.volume.source : '-',
          }),
        );
        for (const i of r.instances)
          console.log(
            `  ${i.id.padEnd(36)} ${i.role.padEnd(6)} ${i.version} ${i.ip.padEnd(15)} ${i.state} ${i.healthy ? 'healthy' : 'unhealthy'}`,
          );
      }
    });

  app
    .command('down')
    .description(t('cmd.app.down.description'))
    .argument('[env]', ENVIRONMENTS.join(' | '))
    .option('--candidate <id>', t('cmd.app.down.opt.candidate'))
    .action(async (env: string | undefined, opts: { candidate?: string }, cmd: Command) => {
      for (const e of env ? [env] : [...ENVIRONMENTS]) {
        const { ctx, json } = context(cmd, e, opts.candidate);
        const removed = await down(ctx);
        if (json) printJson({ candidate: ctx.candidate.id, env: ctx.env, removed });
        else console.log(t('app.down', { candidate: ctx.candidate.id, env: ctx.env, count: removed.length }));
      }
    });
}
