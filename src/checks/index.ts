// The registry of performance-criterion checks: the base checks (CP1-CP3) and each module's.
// The one runner is ./run.ts.
import { CONTAINER_CHECKS } from '../modules/containers/checks.ts';
import { DATA_CHECKS } from '../modules/data/checks.ts';
import { KUBERNETES_CHECKS } from '../modules/kubernetes/checks.ts';
import { MONITORING_CHECKS } from '../modules/monitoring/checks.ts';
import { PIPELINE_CHECKS } from '../modules/pipeline/checks.ts';
import { ACCESS_CHECKS } from './access.ts';
import { DEPLOYMENT_CHECKS } from './deployment.ts';
import { networkIsolated } from './network.ts';
import { SERVER_CHECKS } from './servers.ts';
import type { CheckDefinition } from './types.ts';

export const CHECKS: CheckDefinition[] = [
  ...SERVER_CHECKS,
  ...ACCESS_CHECKS,
  ...DEPLOYMENT_CHECKS,
  networkIsolated,
  ...MONITORING_CHECKS,
  ...DATA_CHECKS,
  ...CONTAINER_CHECKS,
  ...PIPELINE_CHECKS,
  ...KUBERNETES_CHECKS,
];
