// The cohort's shared stack: network, backup bucket and (bastion: per-cohort) the bastion. Its
// outputs are what the candidate stacks read from its state file (see candidate-stack.ts).
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { Cohort } from '../src/core/model/cohort.ts';
import { LabStack, type LabStackProps } from './base.ts';
import { bastionUserData } from './cloud-init.ts';
import { BackupBucket } from './constructs/backup-bucket.ts';
import { Bastion } from './constructs/bastion.ts';
import { CohortNetwork } from './constructs/network.ts';
import type { AwsTopology } from './topology.ts';

/** CloudWatch Logs retention of the VPC flow logs (must be one of CloudWatch's allowed values). */
export const FLOW_LOG_RETENTION_DAYS = 30;

export class NetworkStack extends LabStack {
  constructor(scope: Construct, topo: AwsTopology, cohort: Cohort, props: LabStackProps) {
    super(scope, topo.networkStack, props);
    const net = new CohortNetwork(this, 'network', {
      name: cohort.cohort,
      region: topo.region,
      vpcCidr: topo.vpcCidr,
      zones: topo.zones,
      subnets: topo.subnets,
      flowLogRetentionDays: FLOW_LOG_RETENTION_DAYS,
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
        userData: bastionUserData(cohort.admin.sshKeys, cohort.candidates),
        volumeTags: this.tags,
        preconditions: [this.amiGuard],
      });
      const i = bastion.server.instance;
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
}
