// CandidateEnvironment — what isolates one candidate from the others on the shared network: one
// security group per role, opened only for the flows of ROLE_INGRESS (sources are this candidate's
// own groups, the bastion and the trainer's CIDRs, never another candidate; the flows come from
// src/core/flows.ts through stacks/topology.ts roleIngress), and the candidate's SSH
// key pair. Exercises CP3.2 (secured access: key-only SSH through the bastion, least open ports) and
// CP2.2 (the architecture matches the specification).
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';
import ipaddr from 'ipaddr.js';
import type { FlowModules } from '../../src/core/flows.ts';
import type { Role } from '../../src/core/model/cohort.ts';
import { roleIngress, type Source } from '../topology.ts';

export interface CandidateEnvironmentProps {
  /** <cohort>-<candidate>: prefix of the group names. */
  name: string;
  vpcId: string;
  /** Roles this candidate has servers for; a group is made for each. */
  roles: Role[];
  adminCidrs: string[];
  /** The cohort's modules: a flow of a module that is off gets no rule. */
  modules: FlowModules;
  /** The cohort's bastion group (bastion: per-cohort); absent when the candidate has its own gateway. */
  sharedBastionSgId?: string;
  keyName: string;
  publicKey: string;
  /** Extra preconditions on the key pair, the first resource the candidate needs. */
  keyPreconditions?: import('cdktf').TerraformCondition[];
}

export class CandidateEnvironment extends Construct {
  readonly groups = new Map<Role, SecurityGroup>();
  readonly keyPair: KeyPair;

  constructor(scope: Construct, id: string, props: CandidateEnvironmentProps) {
    super(scope, id);
    this.keyPair = new KeyPair(this, 'key', {
      keyName: props.keyName,
      publicKey: props.publicKey,
      tags: { Name: props.keyName },
      lifecycle: props.keyPreconditions ? { precondition: props.keyPreconditions } : undefined,
    });
    for (const role of props.roles) {
      const sg = new SecurityGroup(this, `sg-${role}`, {
        name: `${props.name}-${role}`,
        description: `asd-lab ${props.name}: ${role} servers`,
        vpcId: props.vpcId,
        tags: { Name: `${props.name}-${role}`, role },
      });
      this.groups.set(role, sg);
      // Egress is open (packages through the NAT gateway, backups through the S3 endpoint): the
      // isolation between candidates is enforced on ingress, where every source is named.
      new VpcSecurityGroupEgressRule(this, `${role}-egress`, {
        securityGroupId: sg.id,
        ipProtocol: '-1',
        cidrIpv4: '0.0.0.0/0',
        description: 'all egress (NAT gateway, S3 endpoint)',
      });
    }
    const bastionSg = props.sharedBastionSgId ?? this.groups.get('gateway')?.id;
    const ingress = roleIngress(props.modules);
    for (const [role, sg] of this.groups) {
      for (const rule of ingress[role]) {
        const [from, to] = rule.ports;
        const port = from === to ? `${from}` : `${from}-${to}`;
        for (const source of rule.from) {
          for (const { label, peer } of this.peers(source, props, bastionSg, role)) {
            // Two flows on one port from one peer (none today) are one rule: AWS refuses duplicates.
            if (this.node.tryFindChild(`${role}-${port}-from-${label}`)) continue;
            new VpcSecurityGroupIngressRule(this, `${role}-${port}-from-${label}`, {
              securityGroupId: sg.id,
              ipProtocol: 'tcp',
              fromPort: from,
              toPort: to,
              description: rule.why,
              ...peer,
            });
          }
        }
      }
    }
  }

  /** The concrete peers of a source; none when the candidate has no such group. */
  private peers(source: Source, props: CandidateEnvironmentProps, bastionSg: string | undefined, target: Role) {
    if (source.kind === 'admin') {
      return props.adminCidrs.map((cidr, i) => ({
        label: `admin-${i}`,
        peer: ipaddr.parseCIDR(cidr)[0].kind() === 'ipv4' ? { cidrIpv4: cidr } : { cidrIpv6: cidr },
      }));
    }
    if (source.kind === 'bastion') {
      // The bastion itself does not need "from bastion" rules.
      if (!bastionSg || target === 'gateway') return [];
      return [{ label: 'bastion', peer: { referencedSecurityGroupId: bastionSg } }];
    }
    const sg = this.groups.get(source.role);
    return sg ? [{ label: source.role, peer: { referencedSecurityGroupId: sg.id } }] : [];
  }
}
