// Engine-neutral Terraform runner: see runner.ts (processes) and plan-summary.ts (reading plans).
export * from './plan-summary.ts';
export * from './runner.ts';
export * from './apply.ts';
export * from './mock-test.ts';
