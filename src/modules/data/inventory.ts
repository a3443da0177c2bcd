// Host variables of the data module, added to the Ansible inventory (src/lifecycle/inventory.ts) for the db
// and mon servers of each candidate. Everything PostgreSQL and the firewall enforce is computed
// here from the model (src/modules/data/generate.ts); the roles only template it.
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { AppError, containerAddresses } from '../containers/addresses.ts';
import { DataError, dataPlan, renderHba, STANZA, type DataPlanOptions, type DataServer } from './generate.ts';

/**
 * Addresses of the app's containers per environment, for the "containers" source: local target
 * only (on AWS the app runs on the k8s node, named as a server). A subnet with no room for them is
 * an error (DataError, naming the candidate and the subnet): granting nothing would leave the
 * containers without their database, found only when the app fails to connect.
 */
export function appContainerSources(cohort: Cohort, candidateId: string): DataPlanOptions['containers'] {
  const candidate = cohort.candidates.find((c) => c.id === candidateId);
  if (cohort.target !== 'local' || !candidate) return {};
  try {
    return containerAddresses(cohort, candidate);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    throw new DataError(t('data.containersNoRoom', { candidate: candidate.id, detail: err.message }), {
      kind: 'user',
      cause: err,
    });
  }
}

export interface DataInventoryHost {
  candidate: string;
  server: string;
  role: string;
  address: string;
}

/** The `data_*` variables of one host ({} for hosts the data module does not touch). */
export function dataHostVars(cohort: Cohort, host: DataInventoryHost, hosts: DataInventoryHost[]): Record<string, unknown> {
  if (!cohort.modules.data || (host.role !== 'db' && host.role !== 'mon')) return {};
  const servers: DataServer[] = hosts
    .filter((h) => h.candidate === host.candidate)
    .map((h) => ({ name: h.server, role: h.role, address: h.address }));
  if (!servers.some((s) => s.role === 'db')) return {};
  const plan = dataPlan(cohort.data, servers, { containers: appContainerSources(cohort, host.candidate) });
  if (host.role === 'mon' && plan.repo?.name !== host.server) return {};
  const cn = (server: string) => `${host.candidate}-${server}`;
  const b = cohort.data.backup;
  const common = {
    data_stanza: STANZA,
    data_db_servers: plan.dbServers.map((s) => ({ name: s.name, address: s.address, cn: cn(s.name) })),
    data_model_primary: plan.primary.name,
    data_repo: plan.repo ? { name: plan.repo.name, address: plan.repo.address, cn: cn(plan.repo.name) } : null,
    data_backup: {
      full_schedule: b.fullSchedule,
      diff_schedule: b.diffSchedule,
      full_retention: b.fullRetention,
      diff_retention: b.diffRetention,
    },
    data_firewall_rules: plan.firewall[host.server] ?? [],
  };
  if (host.role === 'mon') return common;
  return {
    ...common,
    data_databases: plan.databases.map((d) => ({
      name: d.name,
      app: d.app,
      env: d.env,
      owner: d.owner,
      app_role: d.appRole,
      readonly_role: d.readonlyRole,
    })),
    data_roles: plan.roles.map((r) => ({
      name: r.name,
      kind: r.kind,
      login: r.login,
      replication: r.replication,
      member_of: r.memberOf,
      database: r.database ?? null,
    })),
    data_pg_hba: renderHba(plan.hba),
  };
}
