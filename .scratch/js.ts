import { z } from 'zod';
import { cohortSchema } from '../src/model/cohort.ts';
console.log(JSON.stringify(z.toJSONSchema(cohortSchema, { io: 'input', unrepresentable: 'any' }), null, 1).slice(0, 3000));
