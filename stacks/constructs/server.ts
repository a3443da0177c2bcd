// LabServer — one EC2 instance of the lab (and its data volume for db servers). Exercises CP2.1 (the
// servers are deployed by code), CP3.2 (IMDSv2 only, encrypted disks, key-only SSH) and CP6.1 (a
// dedicated, encrypted data volume for PostgreSQL).
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume/index.js';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { VolumeAttachment } from '@cdktf/provider-aws/lib/volume-attachment/index.js';
import type { TerraformCondition } from 'cdktf';
import { Construct } from 'constructs';
import type { Role } from '../../src/core/model/cohort.ts';

export interface LabServerProps {
  /** Name tag and hostname, e.g. asd-2027-lyon-alice-db1. */
  fullName: string;
  hostname: string;
  role: Role;
  instanceType: string;
  ami: string;
  subnetId: string;
  /** Zone of subnetId, known at plan time (the data volume must be in the same zone). */
  availabilityZone: string;
  securityGroupIds: string[];
  public: boolean;
  rootGiB: number;
  dataGiB?: number;
  keyName?: string;
  iamInstanceProfile?: string;
  userData: string;
  /** Tags the root volume carries (default_tags do not reach block devices at plan time). */
  volumeTags: Record<string, string>;
  preconditions: TerraformCondition[];
}

/** Data volumes appear as /dev/sdf (NVMe: /dev/nvme1n1 on Nitro); the db role mounts it. */
export const DATA_DEVICE = '/dev/sdf';

export class LabServer extends Construct {
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: LabServerProps) {
    super(scope, id);
    const tags = { Name: props.fullName, role: props.role, server: props.hostname };
    this.instance = new Instance(this, 'instance', {
      ami: props.ami,
      instanceType: props.instanceType,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: props.securityGroupIds,
      associatePublicIpAddress: props.public,
      keyName: props.keyName,
      iamInstanceProfile: props.iamInstanceProfile,
      userData: props.userData,
      // IMDSv2 only: a stolen-token SSRF cannot read the instance credentials with a plain GET.
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      rootBlockDevice: {
        volumeType: 'gp3',
        volumeSize: props.rootGiB,
        encrypted: true,
        deleteOnTermination: true,
        tags: { ...props.volumeTags, ...tags },
      },
      // T3 "unlimited" bills CPU bursts beyond the baseline; "standard" keeps the cost a fixed hourly price.
      creditSpecification: /^t\d/.test(props.instanceType) ? { cpuCredits: 'standard' } : undefined,
      tags,
      lifecycle: { precondition: props.preconditions },
    });
    if (props.dataGiB) {
      const volume = new EbsVolume(this, 'data', {
        availabilityZone: props.availabilityZone,
        size: props.dataGiB,
        type: 'gp3',
        encrypted: true,
        tags: { Name: `${props.fullName}-data`, role: props.role, server: props.hostname },
      });
      new VolumeAttachment(this, 'data-attachment', {
        deviceName: DATA_DEVICE,
        volumeId: volume.id,
        instanceId: this.instance.id,
      });
    }
  }
}
