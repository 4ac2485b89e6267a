/**
 * Worker for doorbell tests. Commands: { cmd: 'ring-when-armed', bell } rings
 * the bell once the owner has armed it; { cmd: 'sleep', bell } arms the bell,
 * sleeps on it (keeping the event loop alive only through the bell's own
 * handle) and replies 'woke' with the wait result.
 */
import { parentPort } from 'node:worker_threads';
import { Doorbell } from '../doorbell.ts';

const port = parentPort!;

port.on('message', (m: { cmd: string; bell: SharedArrayBuffer }) => {
  const bell = new Doorbell(m.bell);
  if (m.cmd === 'ring-when-armed') {
    const poll = (): void => {
      if (!bell.isWaiting) {
        setTimeout(poll, 1);
        return;
      }
      port.postMessage({ rang: bell.ring() });
    };
    poll();
  } else if (m.cmd === 'sleep') {
    const token = bell.prepareWait();
    port.postMessage({ armed: true });
    // Nothing else keeps this worker busy: drop the port's ref so only the wait holds the loop.
    port.unref();
    void bell.wait(token).then((result) => {
      port.postMessage({ woke: result });
    });
  }
});
