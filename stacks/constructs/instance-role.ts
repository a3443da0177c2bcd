// InstanceRole — the IAM identity of a candidate's servers: they may read and write backups under
// their own prefix of the cohort bucket, and nothing else. Exercises CP6.2 (access rights as
// specified: least privilege, one candidate cannot read another's backups) and CP6.3 (backups).
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';

export interface InstanceRoleProps {
  /** IAM names (unique per account): <cohort>-<candidate>. */
  name: string;
  bucketArn: string;
  /** The only key prefix the servers may touch, e.g. "alice/". */
  prefix: string;
}

/** The policy document, exported so that tests and docs show exactly what is granted. */
export function backupPolicy(bucketArn: string, prefix: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListOwnPrefix',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
      },
      {
        Sid: 'ReadWriteOwnPrefix',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: `${bucketArn}/${prefix}*`,
      },
    ],
  };
}

export class InstanceRole extends Construct {
  readonly profile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    const role = new IamRole(this, 'role', {
      name: `${props.name}-servers`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags: { Name: `${props.name}-servers` },
    });
    new IamRolePolicy(this, 'backup-policy', {
      name: 'own-backup-prefix',
      role: role.id,
      policy: JSON.stringify(backupPolicy(props.bucketArn, props.prefix)),
    });
    this.profile = new IamInstanceProfile(this, 'profile', {
      name: `${props.name}-servers`,
      role: role.name,
      tags: { Name: `${props.name}-servers` },
    });
  }
}
