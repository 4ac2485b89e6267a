/** Test fixture: reports how its worker loads TypeScript (real ESM, dynamic import of .ts). */
import { defineActor, isActorDefinition } from '../actor.ts';

export default defineActor(async (ctx) => {
  ctx.logger.info({ probe: true }, 'probe actor created');
  // A dynamic import of a .ts module inside the worker: fails unless tsx's ESM hooks run there.
  const counter = await import('./actor-counter.ts');
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: () => finished,
    stop: () => finish(),
    probe: () => ({
      esm: typeof require === 'undefined',
      importedTs: isActorDefinition(counter.default),
      importMetaResolve: typeof import.meta.resolve === 'function',
      execArgv: process.execArgv,
    }),
  };
});
