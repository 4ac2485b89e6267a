// The start-up benchmark's job, in plain JavaScript so that the same module runs against
// Weir's sources (`--conditions=weir-source` under tsx) and against the build (dist/).
// `weir` resolves to this package itself (package.json "exports").
import { defineJob } from 'weir';

export const startupJob = defineJob('startup', (env, p) => {
  env.fromSequence(1, p.records)
    .map((x) => ({ key: x % 16, x }))
    .keyBy((r) => r.key)
    .sum('x')
    .collect('out');
});
