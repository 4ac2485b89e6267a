/**
 * `execute({ signal })`: cancel the job when the app's AbortSignal aborts. Jobs sharing one signal
 * share one 'abort' listener on it: Node warns (MaxListenersExceededWarning, on stderr) from the
 * 11th listener on one AbortSignal, and an app running many jobs under one shutdown signal saw it
 * (a user's review). The listener goes when the signal's last job ended.
 */
interface Listeners { readonly cancels: Set<() => void>; readonly listener: () => void }

const bySignal = new WeakMap<AbortSignal, Listeners>();

/** Calls `cancel` when `signal` aborts (at once if it has); returns the function that forgets it. */
export function cancelOnAbort(signal: AbortSignal, cancel: () => void): () => void {
  if (signal.aborted) {
    cancel();
    return () => {};
  }
  let entry = bySignal.get(signal);
  if (!entry) {
    const cancels = new Set<() => void>();
    const listener = (): void => {
      bySignal.delete(signal);
      for (const c of cancels) c();
      cancels.clear();
    };
    entry = { cancels, listener };
    bySignal.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { cancels, listener } = entry;
  cancels.add(cancel);
  return () => {
    if (!cancels.delete(cancel) || cancels.size > 0) return;
    bySignal.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
