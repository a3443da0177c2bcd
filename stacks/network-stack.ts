// The cohort's shared stack: network, backup bucket and (bastion: per-cohort) the bastion. Its
// outputs are what the candidate stacks read from its state file (see candidate-stack.ts).
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsEc2InstanceTypeOfferings } from '@cdktf/provider-aws/lib/data-aws-ec2-instance-type-offerings/index.js';
import { TerraformLocal, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { Cohort } from '../src/core/model/cohort.ts';
import { AMI_PLACEHOLDER, DEBIAN_OWNER } from './ami.ts';
import { LabStack, type LabStackProps } from './base.ts';
import { bastionUserData } from './cloud-init.ts';
import { BackupBucket } from './constructs/backup-bucket.ts';
import { Bastion } from './constructs/bastion.ts';
import { CohortBudget, ExpiryStop, ExpiryStopRole } from './constructs/cost-guards.ts';
import { CohortNetwork } from './constructs/network.ts';
import { LAB_ROLE, type AwsTopology } from './topology.ts';

/** CloudWatch Logs retention of the VPC flow logs (must be one of CloudWatch's allowed values). */
export const FLOW_LOG_RETENTION_DAYS = 30;

export class NetworkStack extends LabStack {
  constructor(scope: Construct, topo: AwsTopology, cohort: Cohort, props: LabStackProps) {
    super(scope, topo.networkStack, props);
    this.lookups(topo);
    const net = new CohortNetwork(this, 'network', {
      name: cohort.cohort,
      region: topo.region,
      vpcCidr: topo.vpcCidr,
      zones: topo.zones,
      subnets: topo.subnets,
      flowLogRetentionDays: FLOW_LOG_RETENTION_DAYS,
      flowLogs: !topo.learnerLab,
    });
    const backups = new BackupBucket(this, 'backups', {
      prefix: `asd-lab-${cohort.cohort}-`,
      retentionDays: cohort.aws.backupRetentionDays,
    });

    const out = (id: string, value: unknown, description: string) => new TerraformOutput(this, id, { value, description });
    out('network_applied', true, 'read by the candidate stacks: false in their placeholders until this stack is applied');
    out('vpc_id', net.vpc.id, 'the cohort VPC');
    out(
      'public_subnet_ids',
      net.publicSubnets.map((s) => s.id),
      'public subnets, one per zone',
    );
    out(
      'private_subnet_ids',
      net.privateSubnets.map((s) => s.id),
      'private subnets, one per zone',
    );
    out('backup_bucket', backups.bucket.bucket, 'bucket of the backups; each candidate writes under <candidate>/');
    out('backup_bucket_arn', backups.bucket.arn, 'ARN of the backup bucket (IAM policies of the candidates)');
    out('cohort_ami_id', this.ami, 'the Debian 12 AMI of the cohort (pinned or looked up): the candidate stacks use it');
    if (topo.budget) new CohortBudget(this, 'cost', { cohort: cohort.cohort, ...topo.budget });
    // The role the expiry schedules assume: created here, or Learner Lab's own LabRole.
    let schedulerRoleArn: string;
    if (topo.learnerLab) {
      const me = new DataAwsCallerIdentity(this, 'account');
      me.addOverride('count', '${var.aws_lookups ? 1 : 0}');
      schedulerRoleArn = `arn:aws:iam::\${coalesce(one(data.aws_caller_identity.account[*].account_id), "000000000000")}:role/${LAB_ROLE}`;
    } else {
      schedulerRoleArn = new ExpiryStopRole(this, 'expiry-role', { cohort: cohort.cohort }).role.arn;
    }
    out('scheduler_role_arn', schedulerRoleArn, 'role of the expiry schedules (stop the instances at expires)');

    const b = topo.sharedBastion;
    if (b) {
      const bastion = new Bastion(this, 'bastion', {
        name: cohort.cohort,
        vpcId: net.vpc.id,
        subnetId: net.publicSubnets[b.zone]!.id,
        availabilityZone: topo.zones[b.zone],
        instanceType: b.instanceType,
        ami: this.ami,
        rootGiB: b.rootGiB,
        adminCidrs: cohort.admin.cidrs,
        modules: cohort.modules,
        userData: bastionUserData(props.adminKeys, cohort.candidates),
        volumeTags: this.tags,
        preconditions: [this.amiGuard],
      });
      const i = bastion.server.instance;
      new ExpiryStop(this, 'expiry', {
        name: `${cohort.cohort}-network-expiry`,
        expires: props.expires,
        instanceIds: [i.id],
        roleArn: schedulerRoleArn,
      });
      out('bastion_security_group_id', bastion.securityGroup.id, 'private servers accept SSH from this group only');
      out('bastion_public_ip', i.publicIp, 'ssh -J <candidate>@this-address');
      out(
        'hosts',
        [
          {
            candidate: '',
            server: 'bastion',
            name: 'bastion',
            role: 'gateway',
            private_ip: i.privateIp,
            public_ip: i.publicIp,
            subnet: topo.subnets.public[b.zone],
          },
        ],
        'hosts for the Ansible inventory',
      );
    } else {
      out('hosts', [], 'hosts for the Ansible inventory (bastions are in the candidate stacks)');
    }
  }

  /**
   * What only AWS knows, read when var.aws_lookups (never offline): the Debian AMI when none is
   * pinned, and whether both zones offer every instance type of the cohort, checked at plan time,
   * before anything is applied.
   */
  private lookups(topo: AwsTopology): void {
    const ami = new DataAwsAmi(this, 'debian', {
      owners: [DEBIAN_OWNER],
      mostRecent: true,
      filter: [
        { name: 'name', values: ['debian-12-amd64-*'] },
        { name: 'architecture', values: ['x86_64'] },
        { name: 'virtualization-type', values: ['hvm'] },
      ],
    });
    ami.addOverride('count', '${var.aws_lookups && var.debian_ami_id == "" ? 1 : 0}');
    new TerraformLocal(
      this,
      'debian_ami',
      `\${coalesce(var.debian_ami_id, one(data.aws_ami.debian[*].id), "${AMI_PLACEHOLDER}")}`,
    );
    const types = JSON.stringify(topo.instanceTypes);
    const zones = JSON.stringify(topo.zones);
    const offered = new DataAwsEc2InstanceTypeOfferings(this, 'lab_types', {
      locationType: 'availability-zone',
      filter: [
        { name: 'instance-type', values: topo.instanceTypes },
        { name: 'location', values: topo.zones },
      ],
    });
    offered.addOverride('count', '${var.aws_lookups ? 1 : 0}');
    const missing = `[for p in setproduct(${types}, ${zones}) : "\${p[0]} in \${p[1]}" if !contains([for i, t in self.instance_types : "\${t} in \${self.locations[i]}"], "\${p[0]} in \${p[1]}")]`;
    offered.addOverride('lifecycle.postcondition', [
      {
        condition: `\${length(${missing}) == 0}`,
        error_message: `Region ${topo.region} does not offer every instance type of the cohort in both zones (${topo.zones.join(', ')}): missing \${join(", ", ${missing})}. Choose other types (aws.instanceTypes) or another region (aws.region); nothing was created.`,
      },
    ]);
  }
}
