// Bastion — the cohort's single SSH entry point (bastion: per-cohort): reachable on port 22 from the
// trainer's CIDRs only; every private server accepts SSH from this group only. Exercises CP3.2
// (secured access: one hardened, audited entry) and CP4.2 (users reach the servers through it).
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { TerraformCondition } from 'cdktf';
import { Construct } from 'constructs';
import ipaddr from 'ipaddr.js';
import type { FlowModules } from '../../src/core/flows.ts';
import { roleIngress } from '../topology.ts';
import { LabServer } from './server.ts';

export interface BastionProps {
  name: string;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  instanceType: string;
  ami: string;
  rootGiB: number;
  adminCidrs: string[];
  modules: FlowModules;
  userData: string;
  volumeTags: Record<string, string>;
  preconditions: TerraformCondition[];
}

export class Bastion extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly server: LabServer;

  constructor(scope: Construct, id: string, props: BastionProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: `${props.name}-bastion`,
      description: `asd-lab ${props.name}: bastion, SSH from the trainer's networks`,
      vpcId: props.vpcId,
      tags: { Name: `${props.name}-bastion`, role: 'gateway' },
    });
    // The gateway role's flows (src/core/flows.ts) that the trainers' networks may open: SSH. The
    // shared bastion belongs to no candidate, so flows from a candidate's role do not apply to it.
    for (const rule of roleIngress(props.modules).gateway.filter((r) => r.from.some((s) => s.kind === 'admin'))) {
      props.adminCidrs.forEach((cidr, i) => {
        const v4 = ipaddr.parseCIDR(cidr)[0].kind() === 'ipv4';
        new VpcSecurityGroupIngressRule(this, `${rule.flow}-from-admin-${i}`, {
          securityGroupId: this.securityGroup.id,
          ipProtocol: 'tcp',
          fromPort: rule.ports[0],
          toPort: rule.ports[1],
          description: rule.why,
          ...(v4 ? { cidrIpv4: cidr } : { cidrIpv6: cidr }),
        });
      });
    }
    new VpcSecurityGroupEgressRule(this, 'egress', {
      securityGroupId: this.securityGroup.id,
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
      description: 'SSH onward to the private servers, packages',
    });
    this.server = new LabServer(this, 'server', {
      fullName: `${props.name}-bastion`,
      hostname: 'bastion',
      role: 'gateway',
      instanceType: props.instanceType,
      ami: props.ami,
      subnetId: props.subnetId,
      availabilityZone: props.availabilityZone,
      securityGroupIds: [this.securityGroup.id],
      public: true,
      rootGiB: props.rootGiB,
      userData: props.userData,
      volumeTags: props.volumeTags,
      preconditions: props.preconditions,
    });
  }
}
