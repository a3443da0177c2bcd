// CohortNetwork — the cohort's VPC. Exercises CP2.2 (architecture as specified: two zones, public
// and private tiers), CP3.2 (private servers, default security group closed, flow logs) and CP4.3
// (the deployed network is described by this code and docs/aws.md).
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { Construct } from 'constructs';

export interface CohortNetworkProps {
  /** Prefix of Name tags and IAM names, e.g. the cohort id. */
  name: string;
  region: string;
  vpcCidr: string;
  zones: [string, string];
  subnets: { public: [string, string]; private: [string, string] };
  /** CloudWatch Logs retention of the flow logs (an allowed CloudWatch value). */
  flowLogRetentionDays: number;
  /** false in Learner Lab mode: flow logs to CloudWatch need an IAM role, which the mode may not create. */
  flowLogs: boolean;
}

export class CohortNetwork extends Construct {
  readonly vpc: Vpc;
  readonly publicSubnets: Subnet[];
  readonly privateSubnets: Subnet[];
  readonly natGateway: NatGateway;

  constructor(scope: Construct, id: string, props: CohortNetworkProps) {
    super(scope, id);
    const name = (n: string) => ({ Name: `${props.name}-${n}` });
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: name('vpc'),
    });
    // The default security group of a VPC allows everything between its members: close it, so that
    // only the lab's explicit groups carry traffic.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: this.vpc.id, tags: name('default-closed') });

    const subnet = (tier: 'public' | 'private', i: 0 | 1) =>
      new Subnet(this, `${tier}-${'ab'[i]}`, {
        vpcId: this.vpc.id,
        cidrBlock: props.subnets[tier][i],
        availabilityZone: props.zones[i],
        mapPublicIpOnLaunch: false,
        tags: { ...name(`${tier}-${props.zones[i]}`), tier },
      });
    this.publicSubnets = [subnet('public', 0), subnet('public', 1)];
    this.privateSubnets = [subnet('private', 0), subnet('private', 1)];

    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: name('igw') });
    const publicRt = new RouteTable(this, 'public-rt', { vpcId: this.vpc.id, tags: name('public') });
    new Route(this, 'public-default', { routeTableId: publicRt.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    // Egress of the private tier (Debian packages, container images): ONE NAT gateway for the whole
    // cohort, in the first zone. One per zone would survive a zone outage but doubles the largest
    // shared cost; a lab accepts that risk (docs/aws.md, "Costs").
    const natIp = new Eip(this, 'nat-ip', { domain: 'vpc', tags: name('nat') });
    this.natGateway = new NatGateway(this, 'nat', {
      allocationId: natIp.allocationId,
      subnetId: this.publicSubnets[0]!.id,
      tags: name('nat'),
      dependsOn: [igw],
    });
    const privateRt = new RouteTable(this, 'private-rt', { vpcId: this.vpc.id, tags: name('private') });
    new Route(this, 'private-default', {
      routeTableId: privateRt.id,
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId: this.natGateway.id,
    });

    this.publicSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `public-${'ab'[i]}-rt`, { subnetId: s.id, routeTableId: publicRt.id });
    });
    this.privateSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `private-${'ab'[i]}-rt`, { subnetId: s.id, routeTableId: privateRt.id });
    });

    // Backups go to S3 through a gateway endpoint: free, and it keeps that traffic off the NAT
    // gateway (which bills every GB it processes).
    new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [privateRt.id, publicRt.id],
      tags: name('s3'),
    });

    // Flow logs: every accepted and rejected flow of the VPC, for the security exercises.
    if (!props.flowLogs) return;
    const logGroup = new CloudwatchLogGroup(this, 'flow-logs', {
      name: `/asd-lab/${props.name}/vpc-flow-logs`,
      retentionInDays: props.flowLogRetentionDays,
      tags: name('flow-logs'),
    });
    const role = new IamRole(this, 'flow-logs-role', {
      name: `${props.name}-vpc-flow-logs`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags: name('vpc-flow-logs'),
    });
    new IamRolePolicy(this, 'flow-logs-policy', {
      name: 'write-flow-logs',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          },
        ],
      }),
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags: name('flow-log'),
    });
  }
}
