// BackupBucket — the cohort's S3 bucket for the candidates' backups (each candidate writes only under
// "<candidate>/", see InstanceRole). Exercises CP6.3 (data is backed up: versioned, kept
// `retentionDays`), CP6.2 (access rights: private, TLS only) and CP3.2 (encryption, no public access).
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { Construct } from 'constructs';

export interface BackupBucketProps {
  /** Bucket name prefix (S3 adds a unique suffix: names are global). At most 37 characters. */
  prefix: string;
  /** Days after which a backup (and an overwritten version) is deleted. */
  retentionDays: number;
}

export class BackupBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    // force_destroy: the lab is torn down at its expiry date, backups included (docs/aws.md).
    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: props.prefix,
      forceDestroy: true,
      tags: { Name: `${props.prefix}backups` },
    });
    const bucket = this.bucket.id;
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    // SSE-S3 (AES256): encrypted at rest at no cost; a KMS key would add a monthly fee per cohort.
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    // After versioning: AWS applies noncurrent-version rules only to a versioned bucket.
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      dependsOn: [versioning],
      rule: [
        {
          id: 'expire-old-backups',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: props.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.retentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketPolicy(this, 'tls-only', {
      bucket,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
  }
}
