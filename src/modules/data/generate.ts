// Compiles the data model of one candidate into what PostgreSQL and the firewall enforce: roles,
// databases, grants, pg_hba.conf lines and nftables rules. Pure functions (unit-tested in
// test/data.test.ts); the inventory carries their result to the Ansible roles, and `verify` and
// `asd-lab db` use the same plan to know what to expect.
import ipaddr from 'ipaddr.js';
import { t } from '../../core/i18n/index.ts';
import type { DataModel } from '../../core/model/data.ts';
import type { Environment } from '../../core/environments.ts';
import { AsdError } from '../../core/errors.ts';

/** Name of the pgBackRest stanza (one cluster per candidate). */
export const STANZA = 'main';
/** Login roles that are not per application. */
export const REPLICATION_ROLE = 'replicator';
export const MONITORING_ROLE = 'monitoring';
/** OS user that may log in as MONITORING_ROLE over the local socket (postgres_exporter runs as it). */
export const MONITORING_OS_USER = 'prometheus';
export const PG_PORT = 5432;
/** pgBackRest TLS server port (its default). */
export const PGBACKREST_PORT = 8432;

/** A failed step of the data module on a server, or a missing prerequisite (kind 'operation'). */
export class DataError extends AsdError {}

/** A server of the candidate's lab as the plan needs it. */
export interface DataServer {
  name: string;
  role: string;
  address: string;
}

export interface DataDatabase {
  app: string;
  env: Environment;
  name: string;
  /** NOLOGIN owner of the database and its objects: migrations run as it (SET ROLE). */
  owner: string;
  /** Read-write application role (LOGIN). */
  appRole: string;
  /** Read-only reporting role (LOGIN, default_transaction_read_only). */
  readonlyRole: string;
  /** Resolved sources (CIDRs) of each login role. */
  appSources: string[];
  readonlySources: string[];
}

export type RoleKind = 'owner' | 'app' | 'readonly' | 'replication' | 'monitoring';

export interface DataRole {
  name: string;
  kind: RoleKind;
  login: boolean;
  replication: boolean;
  /** Roles it is a member of (monitoring: pg_monitor). */
  memberOf: string[];
  /** Database it belongs to (per-application roles). */
  database?: string;
}

export interface HbaLine {
  type: 'local' | 'host' | 'hostssl';
  database: string;
  user: string;
  address?: string;
  method: 'peer' | 'scram-sha-256' | 'reject';
  options?: string;
  comment?: string;
}

export interface DataPlan {
  primary: DataServer;
  replicas: DataServer[];
  dbServers: DataServer[];
  /** The backup repository (the first mon server), when there is one. */
  repo?: DataServer;
  databases: DataDatabase[];
  roles: DataRole[];
  hba: HbaLine[];
  /** nftables rules (input chain) per server name. */
  firewall: Record<string, string[]>;
  /** Sources naming a server this lab does not have (or that does not run): they grant nothing. */
  unresolved: { where: string; source: string }[];
}

/** Role names of one database: <app>_<env>_owner|app|ro. */
export function databaseNames(app: string, env: Environment): Pick<DataDatabase, 'name' | 'owner' | 'appRole' | 'readonlyRole'> {
  const name = `${app}_${env}`;
  return { name, owner: `${name}_owner`, appRole: `${name}_app`, readonlyRole: `${name}_ro` };
}

/** A source (server name or CIDR) as a CIDR; a host address gets /32 (/128). */
export function resolveSource(source: string, servers: DataServer[], where: string): string {
  if (ipaddr.isValidCIDR(source)) {
    const [addr, prefix] = ipaddr.parseCIDR(source);
    return `${addr.toString()}/${prefix}`;
  }
  const s = servers.find((x) => x.name === source);
  if (!s) throw new DataError(t('data.unknownSource', { source, where, known: servers.map((x) => x.name).join(', ') || '-' }));
  return ipaddr.parse(s.address).kind() === 'ipv6' ? `${s.address}/128` : `${s.address}/32`;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** nftables rule accepting new TCP connections to `port` from `cidrs` (split by address family). */
export function nftRule(port: number, cidrs: string[], comment: string): string[] {
  const v4 = uniq(cidrs.filter((c) => !c.includes(':')));
  const v6 = uniq(cidrs.filter((c) => c.includes(':')));
  const out: string[] = [];
  if (v4.length) out.push(`tcp dport ${port} ip saddr { ${v4.join(', ')} } ct state new accept comment "${comment}"`);
  if (v6.length) out.push(`tcp dport ${port} ip6 saddr { ${v6.join(', ')} } ct state new accept comment "${comment}"`);
  return out;
}

/**
 * The plan of one candidate. `primary` is the server that currently holds the primary role (after a
 * failover it is not the first one any more); default: the first db server of the model.
 */
/**
 * Source name of the app's containers: on the local target they run beside the servers, each
 * environment on its own addresses (src/modules/containers/deploy.ts envAddresses). It resolves to the
 * addresses of the database's own environment only, so test containers never reach prod.
 */
export const CONTAINERS_SOURCE = 'containers';

export interface DataPlanOptions {
  primary?: string;
  strict?: boolean;
  /** Addresses of the app's containers per environment (local target); none elsewhere. */
  containers?: Partial<Record<Environment, string[]>>;
}

export function dataPlan(model: DataModel, servers: DataServer[], opts: DataPlanOptions = {}): DataPlan {
  const dbServers = servers.filter((s) => s.role === 'db');
  if (dbServers.length === 0)
    throw new DataError(t('data.noDbServer', { known: servers.map((s) => `${s.name} (${s.role})`).join(', ') || '-' }));
  const primary = opts.primary ? dbServers.find((s) => s.name === opts.primary) : dbServers[0];
  if (!primary)
    throw new DataError(
      t('data.unknownPrimary', { primary: opts.primary ?? '', known: dbServers.map((s) => s.name).join(', ') }),
    );
  const replicas = dbServers.filter((s) => s !== primary);
  const repo = servers.find((s) => s.role === 'mon');

  // A default source (app, mon) may name a server that a small lab does not have: it then grants
  // nothing. In strict mode (asd-lab db, verify) an unknown name is an error: it is likely a typo.
  const unresolved: DataPlan['unresolved'] = [];
  const resolveAll = (sources: string[], where: string, env: Environment) =>
    uniq(
      sources.flatMap((c) => {
        if (c === CONTAINERS_SOURCE)
          return (opts.containers?.[env] ?? []).map((a) =>
            resolveSource(a.includes('/') ? a : `${a}/${a.includes(':') ? 128 : 32}`, servers, where),
          );
        try {
          return [resolveSource(c, servers, where)];
        } catch (err) {
          if (opts.strict) throw err;
          unresolved.push({ where, source: c });
          return [];
        }
      }),
    );
  const databases: DataDatabase[] = [];
  for (const app of model.applications) {
    for (const env of app.environments) {
      const where = `data.applications[${app.name}].${env}`;
      const clients = app.clientsByEnv?.[env] ?? app.clients;
      const reporting = app.reportingByEnv?.[env] ?? app.reporting;
      databases.push({
        app: app.name,
        env,
        ...databaseNames(app.name, env),
        appSources: resolveAll(clients, where, env),
        readonlySources: resolveAll(reporting, where, env),
      });
    }
  }

  const roles: DataRole[] = [
    { name: REPLICATION_ROLE, kind: 'replication', login: true, replication: true, memberOf: [] },
    { name: MONITORING_ROLE, kind: 'monitoring', login: true, replication: false, memberOf: ['pg_monitor'] },
  ];
  for (const d of databases) {
    roles.push({ name: d.owner, kind: 'owner', login: false, replication: false, memberOf: [], database: d.name });
    roles.push({ name: d.appRole, kind: 'app', login: true, replication: false, memberOf: [], database: d.name });
    roles.push({ name: d.readonlyRole, kind: 'readonly', login: true, replication: false, memberOf: [], database: d.name });
  }

  const dbCidrs = dbServers.map((s) => resolveSource(s.name, servers, 'db'));
  const hba: HbaLine[] = [
    {
      type: 'local',
      database: 'all',
      user: 'postgres',
      method: 'peer',
      comment: 'administration: the OS user postgres, on the local socket only',
    },
    {
      type: 'local',
      database: 'all',
      user: MONITORING_ROLE,
      method: 'peer',
      options: `map=${MONITORING_ROLE}`,
      comment: `metrics: only the OS user ${MONITORING_OS_USER} (pg_ident.conf), on the local socket`,
    },
    { type: 'local', database: 'all', user: 'all', method: 'reject' },
    {
      type: 'host',
      database: 'all',
      user: 'postgres',
      address: '0.0.0.0/0',
      method: 'reject',
      comment: 'no superuser over the network, whatever the database',
    },
    { type: 'host', database: 'all', user: 'postgres', address: '::/0', method: 'reject' },
    ...dbCidrs.map(
      (a, i): HbaLine => ({
        type: 'hostssl',
        database: 'replication',
        user: REPLICATION_ROLE,
        address: a,
        method: 'scram-sha-256',
        comment: i === 0 ? 'streaming replication between the db servers (either may be primary)' : undefined,
      }),
    ),
  ];
  for (const d of databases) {
    d.appSources.forEach((a, i) => {
      hba.push({
        type: 'hostssl',
        database: d.name,
        user: d.appRole,
        address: a,
        method: 'scram-sha-256',
        comment: i === 0 ? `${d.app} ${d.env}: read-write application role` : undefined,
      });
    });
    d.readonlySources.forEach((a, i) => {
      hba.push({
        type: 'hostssl',
        database: d.name,
        user: d.readonlyRole,
        address: a,
        method: 'scram-sha-256',
        comment: i === 0 ? `${d.app} ${d.env}: read-only reporting role` : undefined,
      });
    });
  }
  hba.push(
    {
      type: 'host',
      database: 'all',
      user: 'all',
      address: '0.0.0.0/0',
      method: 'reject',
      comment: 'everything else, and any connection without TLS, is refused',
    },
    { type: 'host', database: 'all', user: 'all', address: '::/0', method: 'reject' },
    { type: 'host', database: 'replication', user: 'all', address: '0.0.0.0/0', method: 'reject' },
    { type: 'host', database: 'replication', user: 'all', address: '::/0', method: 'reject' },
  );

  const clientCidrs = uniq(databases.flatMap((d) => [...d.appSources, ...d.readonlySources]));
  const firewall: Record<string, string[]> = {};
  for (const s of dbServers) {
    const peers = dbCidrs.filter((c) => c !== resolveSource(s.name, servers, 'db'));
    firewall[s.name] = [
      ...nftRule(PG_PORT, [...clientCidrs, ...peers], 'asd-lab data: PostgreSQL clients of the model and replication'),
      ...(repo
        ? nftRule(PGBACKREST_PORT, [resolveSource(repo.name, servers, 'repo')], 'asd-lab data: pgBackRest repository')
        : []),
    ];
  }
  if (repo) firewall[repo.name] = nftRule(PGBACKREST_PORT, dbCidrs, 'asd-lab data: pgBackRest from the db servers');

  return { primary, replicas, dbServers, repo, databases, roles, hba, firewall, unresolved };
}

const col = (s: string, w: number) => (s.length >= w ? `${s} ` : s.padEnd(w));

/** pg_hba.conf lines, aligned, with comments; the first matching line wins. */
export function renderHba(lines: HbaLine[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.comment) out.push(`# ${l.comment}`);
    const addr = l.type === 'local' ? '' : (l.address ?? '');
    out.push(
      `${col(l.type, 8)}${col(l.database, 14)}${col(l.user, 20)}${col(addr, 20)}${l.method}${l.options ? ` ${l.options}` : ''}`.trimEnd(),
    );
  }
  return out;
}
