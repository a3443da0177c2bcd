// Cost guards of a cohort. CohortBudget: one AWS budget per cohort (its resources by the cohort tag),
// alerting the trainers by e-mail. ExpiryStop: an EventBridge Scheduler one-time schedule, created
// with the stack, that stops the stack's instances when the cohort expires, so that a forgotten
// cohort stops paying for compute (volumes, addresses and the NAT gateway still cost: down removes
// them). Exercises CP4.1 (a production that is operated, costs included) and CP3.2 (least privilege:
// the scheduler may only stop the cohort's instances).
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

export interface CohortBudgetProps {
  cohort: string;
  monthlyUsd: number;
  email: string;
}

/** The budget's filter: costs of the resources tagged cohort=<cohort> (a cost allocation tag, docs/aws.md). */
export const budgetTagFilter = (cohort: string) => `user:cohort$${cohort}`;

export class CohortBudget extends Construct {
  readonly budget: BudgetsBudget;

  constructor(scope: Construct, id: string, props: CohortBudgetProps) {
    super(scope, id);
    const to = { subscriberEmailAddresses: [props.email], thresholdType: 'PERCENTAGE', comparisonOperator: 'GREATER_THAN' };
    this.budget = new BudgetsBudget(this, 'budget', {
      name: `asd-lab-${props.cohort}`,
      budgetType: 'COST',
      timeUnit: 'MONTHLY',
      limitAmount: props.monthlyUsd.toFixed(2),
      limitUnit: 'USD',
      costFilter: [{ name: 'TagKeyValue', values: [budgetTagFilter(props.cohort)] }],
      notification: [
        { ...to, notificationType: 'ACTUAL', threshold: 80 },
        { ...to, notificationType: 'FORECASTED', threshold: 100 },
      ],
    });
  }
}

/** The role EventBridge Scheduler assumes to stop the cohort's instances, and nothing else. */
export class ExpiryStopRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: { cohort: string }) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: `${props.cohort}-expiry-stop`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags: { Name: `${props.cohort}-expiry-stop` },
    });
    new IamRolePolicy(this, 'policy', {
      name: 'stop-cohort-instances',
      role: this.role.id,
      policy: JSON.stringify(expiryStopPolicy(props.cohort)),
    });
  }
}

/** Exported so that tests and docs show exactly what the scheduler may do. */
export function expiryStopPolicy(cohort: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'StopThisCohortsInstances',
        Effect: 'Allow',
        Action: 'ec2:StopInstances',
        Resource: 'arn:aws:ec2:*:*:instance/*',
        Condition: { StringEquals: { 'aws:ResourceTag/cohort': cohort } },
      },
    ],
  };
}

/** `at()` of EventBridge Scheduler: the day after `expires` (its last day), 00:00 UTC. */
export function expiryStopAt(expires: string): string {
  const next = new Date(Date.parse(`${expires}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 19);
  return `at(${next})`;
}

export interface ExpiryStopProps {
  /** Schedule name (64 characters at most, unique per account and region). */
  name: string;
  expires: string;
  instanceIds: string[];
  roleArn: string;
}

export class ExpiryStop extends Construct {
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: ExpiryStopProps) {
    super(scope, id);
    this.schedule = new SchedulerSchedule(this, 'schedule', {
      name: props.name,
      description: `asd-lab: stop these instances when the cohort expires (${props.expires})`,
      scheduleExpression: expiryStopAt(props.expires),
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        // The universal target: EC2's StopInstances API, called by the scheduler with its role.
        arn: 'arn:aws:scheduler:::aws-sdk:ec2:stopInstances',
        roleArn: props.roleArn,
        input: Fn.jsonencode({ InstanceIds: props.instanceIds }),
        retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 86_400 },
      },
    });
  }
}
