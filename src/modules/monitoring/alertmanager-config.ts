// alertmanager.yml: one receiver per team (the lab's webhook receiver, /hooks/<team>), alerts routed
// by their `team` label, grouped per alert and environment, and inhibition rules that keep the
// noise down when one cause explains several alerts.
import { stringify } from 'yaml';
import type { MonitoringOptions } from './options.ts';
import { GENERATED_HEADER } from './rules.ts';
import { TEAMS, type Team } from './types.ts';

/** Receiver name of a team (the same as the team, so that routing reads plainly). */
export const receiverOf = (team: Team) => team;

/** Alerts without a known team land here, so that nothing is dropped. */
export const DEFAULT_RECEIVER = receiverOf('ops');

/**
 * Labels that identify "the same problem" between severities of one alert: an alert's critical
 * rule inhibits its warning rule only on the same host, disk, probe target or SLO environment.
 * A label missing on both sides counts as equal.
 */
export const SAME_PROBLEM = ['alertname', 'env', 'instance', 'job', 'mountpoint', 'device', 'target', 'chain'];

export const INHIBIT_RULES = [
  // A server that does not answer explains every other alert about it.
  { source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname!="NodeDown"'], equal: ['instance'] },
  // The critical rule of an alert makes its warning rule redundant.
  { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: SAME_PROBLEM },
  // A fast budget burn already pages: the slow burn of the same SLO adds nothing.
  { source_matchers: ['burn="fast"'], target_matchers: ['burn="slow"'], equal: ['slo', 'env'] },
  // A database that does not answer explains its replication and connection alerts.
  {
    source_matchers: ['alertname="PostgresDown"'],
    target_matchers: ['team="db"', 'alertname!="PostgresDown"'],
    equal: ['instance'],
  },
];

export function alertmanagerConfig(opts: MonitoringOptions): Record<string, unknown> {
  const base = opts.webhookBaseUrl.replace(/\/+$/, '');
  return {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: DEFAULT_RECEIVER,
      group_by: ['alertname', 'env'],
      group_wait: '30s',
      // 1 minute (5 is common): a resolution or a new alert of a group reaches its team within a
      // minute, which a drill measures; the lab's alert volume stays small.
      group_interval: '1m',
      repeat_interval: '4h',
      routes: TEAMS.map((team) => ({
        matchers: [`team="${team}"`],
        receiver: receiverOf(team),
        // Critical alerts are repeated more often until resolved.
        routes: [{ matchers: ['severity="critical"'], repeat_interval: '1h' }],
      })),
    },
    inhibit_rules: INHIBIT_RULES,
    receivers: TEAMS.map((team) => ({
      name: receiverOf(team),
      webhook_configs: [{ url: `${base}/${team}`, send_resolved: true }],
    })),
  };
}

export function renderAlertmanagerConfig(opts: MonitoringOptions): string {
  return GENERATED_HEADER + stringify(alertmanagerConfig(opts), { lineWidth: 0 });
}
