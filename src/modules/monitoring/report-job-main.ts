// Entry point of the bundle that role monitoring_report installs on the mon server:
//   node /usr/local/lib/asd-app-report/asd-app-report.cjs --out DIR --cohort C --candidate ID --password-file F ...
// (esbuild --bundle --platform=node --target=node18 --format=cjs; see report-job.ts).
import { main } from './report-job.ts';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
