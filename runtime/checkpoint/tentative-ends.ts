/**
 * Capture ends taken from aligned-with-timeout *announcements* and not confirmed yet (one owner:
 * the barrier handler's context). An announcement's position counts frames the producer had only
 * queued; if the producer's own timeout overtakes that queued in-band barrier, its unaligned
 * barrier arrives at an earlier position, which then replaces the tentative end (the frames in
 * between are the producer's output channel state). The in-band barrier confirms an end; a
 * completed or aborted checkpoint forgets its ends. Pure bookkeeping: the caller acts on the answer.
 */
export class TentativeEnds {
  private readonly ends = new Map<number, Map<number, number>>();

  record(checkpointId: number, channel: number, position: number): void {
    let byChannel = this.ends.get(checkpointId);
    if (!byChannel) this.ends.set(checkpointId, (byChannel = new Map()));
    byChannel.set(channel, position);
  }

  /** The producer's unaligned barrier at `position`: true when it lowers a tentative end (forgotten either way). */
  lowers(checkpointId: number, channel: number, position: number): boolean {
    const end = this.take(checkpointId, channel);
    return end !== undefined && position < end;
  }

  /** The in-band barrier reached the head of the lane: the announced end is final. */
  confirm(checkpointId: number, channel: number): void {
    this.take(checkpointId, channel);
  }

  /** Forget the ends of `checkpointId` (and, with `older`, of every older one). */
  forget(checkpointId: number, older: boolean): void {
    for (const id of [...this.ends.keys()]) if (id === checkpointId || (older && id < checkpointId)) this.ends.delete(id);
  }

  private take(checkpointId: number, channel: number): number | undefined {
    const byChannel = this.ends.get(checkpointId);
    const end = byChannel?.get(channel);
    if (end === undefined) return undefined;
    byChannel!.delete(channel);
    if (byChannel!.size === 0) this.ends.delete(checkpointId);
    return end;
  }
}
