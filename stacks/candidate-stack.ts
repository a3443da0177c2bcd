// One stack per candidate: their security groups, key pair, IAM role and servers. Candidates are
// applied, destroyed and planned independently (and in parallel).
//
// Cross-stack design: the candidate reads the network stack's outputs from its local state file with
// terraform_remote_state. Verified with Terraform 1.11: when that file does not exist the data
// source FAILS ("Unable to find remote state"), `defaults` notwithstanding. So the data source is
// counted on fileexists(): before the network is applied, `local.network` holds visibly fake
// placeholders ("pending-network-apply-…", network_applied = false) and the plan still works
// offline; after, it holds the real ids. Applying on placeholders is impossible: a precondition on
// the key pair (the first resource) fails unless var.plan_only is set, and only `asd-lab plan` sets it.
import { DataTerraformRemoteStateLocal, TerraformLocal, TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { Candidate, Cohort } from '../src/core/model/cohort.ts';
import { AMI_PLACEHOLDER } from './ami.ts';
import { LabStack, statePath, type LabStackProps } from './base.ts';
import { serverUserData } from './cloud-init.ts';
import { CandidateEnvironment } from './constructs/candidate-environment.ts';
import { ExpiryStop } from './constructs/cost-guards.ts';
import { InstanceRole } from './constructs/instance-role.ts';
import { LabServer } from './constructs/server.ts';
import { LAB_INSTANCE_PROFILE, PENDING, type AwsTopology, type CandidatePlan } from './topology.ts';

export const NETWORK_PLACEHOLDERS = {
  network_applied: false,
  vpc_id: `${PENDING}-vpc`,
  public_subnet_ids: [`${PENDING}-public-a`, `${PENDING}-public-b`],
  private_subnet_ids: [`${PENDING}-private-a`, `${PENDING}-private-b`],
  bastion_security_group_id: `${PENDING}-bastion-sg`,
  backup_bucket: `${PENDING}-backups`,
  backup_bucket_arn: `arn:aws:s3:::${PENDING}-backups`,
  cohort_ami_id: AMI_PLACEHOLDER,
  scheduler_role_arn: `arn:aws:iam::000000000000:role/${PENDING}-scheduler`,
};

export class CandidateStack extends LabStack {
  constructor(scope: Construct, topo: AwsTopology, cohort: Cohort, cand: Candidate, plan: CandidatePlan, props: LabStackProps) {
    super(scope, plan.stackName, { ...props, candidate: cand.id });
    const networkState = statePath(props.stateDir, topo.networkStack);
    const remote = new DataTerraformRemoteStateLocal(this, 'network_state', { path: networkState });
    remote.addOverride('count', `\${fileexists(${JSON.stringify(networkState)}) ? 1 : 0}`);
    new TerraformLocal(
      this,
      'network',
      `\${merge(${JSON.stringify(NETWORK_PLACEHOLDERS)}, try(data.terraform_remote_state.network_state[0].outputs, {}))}`,
    );
    const net = (key: keyof typeof NETWORK_PLACEHOLDERS) => `\${local.network.${key}}`;
    // The pinned AMI, else the one the network stack pinned or looked up (one image for the cohort).
    new TerraformLocal(this, 'debian_ami', '${var.debian_ami_id != "" ? var.debian_ami_id : local.network.cohort_ami_id}');
    const subnet = (tier: 'public' | 'private', zone: 0 | 1) => `\${local.network.${tier}_subnet_ids[${zone}]}`;

    const name = `${cohort.cohort}-${cand.id}`;
    const roles = [...new Set(plan.hosts.map((h) => h.role))];
    const env = new CandidateEnvironment(this, 'env', {
      name,
      vpcId: net('vpc_id'),
      roles,
      adminCidrs: cohort.admin.cidrs,
      modules: cohort.modules,
      sharedBastionSgId: topo.sharedBastion ? net('bastion_security_group_id') : undefined,
      keyName: plan.keyName,
      publicKey: cand.sshKey.trim(),
      keyPreconditions: [
        {
          condition: '${local.network.network_applied || var.plan_only}',
          errorMessage: `The network stack ${topo.networkStack} is not applied (no outputs in ${networkState}): apply it first. Before that, candidate stacks can only be planned.`,
        },
      ],
    });
    // Learner Lab mode creates no IAM resource: the lab account's own profile is used.
    const profile = topo.learnerLab
      ? LAB_INSTANCE_PROFILE
      : new InstanceRole(this, 'iam', { name, bucketArn: net('backup_bucket_arn'), prefix: `${cand.id}/` }).profile.name;

    const ids: string[] = [];
    const hosts = plan.hosts.map((h) => {
      const server = new LabServer(this, `server-${h.name}`, {
        fullName: `${name}-${h.name}`,
        hostname: h.name,
        role: h.role,
        instanceType: h.instanceType,
        ami: this.ami,
        subnetId: subnet(h.public ? 'public' : 'private', h.zone),
        availabilityZone: topo.zones[h.zone],
        securityGroupIds: [env.groups.get(h.role)!.id],
        public: h.public,
        rootGiB: h.rootGiB,
        dataGiB: h.dataGiB,
        keyName: env.keyPair.keyName,
        iamInstanceProfile: profile,
        userData: serverUserData(h.name, props.adminKeys),
        volumeTags: this.tags,
        preconditions: [this.amiGuard],
      });
      const i = server.instance;
      ids.push(i.id);
      return {
        candidate: cand.id,
        server: h.name,
        name: `${cand.id}-${h.name}`,
        role: h.role,
        private_ip: i.privateIp,
        public_ip: h.public ? i.publicIp : '',
        subnet: topo.subnets[h.public ? 'public' : 'private'][h.zone],
      };
    });
    new ExpiryStop(this, 'expiry', {
      name: `${name}-expiry`,
      expires: props.expires,
      instanceIds: ids,
      roleArn: net('scheduler_role_arn'),
    });
    new TerraformOutput(this, 'hosts', { value: hosts, description: 'hosts for the Ansible inventory' });
    new TerraformOutput(this, 'network_applied', {
      value: net('network_applied'),
      description: 'false: planned on placeholders, the network stack is not applied yet',
    });
  }
}
