// Shared vocabulary of the monitoring library: who owns an alert, how bad it is, which kind of
// indicator it is, and the shape of Prometheus rules before they are written as YAML.

/** The teams alerts are routed to (one Alertmanager receiver each). */
export const TEAMS = ['ops', 'db', 'dev', 'security'] as const;
export type Team = (typeof TEAMS)[number];

/** warning: look at it during working hours; critical: act now (users are or will soon be hurt). */
export const SEVERITIES = ['warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Families of indicators, after the title's know-how: resources, security, application performance, data; plus availability. */
export const FAMILIES = ['resource', 'security', 'application', 'data', 'availability'] as const;
export type Family = (typeof FAMILIES)[number];

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  /** Prometheus duration, e.g. 5m. */
  for?: string;
  labels: { severity: Severity; team: Team } & Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string } & Record<string, string>;
}

export interface RuleGroup {
  name: string;
  /** Evaluation interval when it differs from the global one (slow windows need no 30 s refresh). */
  interval?: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** One rules file: its name under rules/ and its groups. */
export interface RulesFile {
  file: string;
  groups: RuleGroup[];
}
