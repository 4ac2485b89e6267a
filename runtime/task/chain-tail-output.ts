/**
 * The output of a chain's tail: the subtask's record writers, one per output edge (in
 * `vertex.outputs` order), routed by side-output tag. Untagged records go to every untagged
 * edge (each downstream consumer gets every record); a record emitted to side output `tag`
 * goes to the edges of that tag, and is dropped when nobody consumes the tag (Flink does the
 * same). Watermarks and watermark statuses go to every writer, tagged or not: a side-output consumer sees the
 * producer's event time like any other consumer (barriers and end-of-data are broadcast on
 * every writer by the task itself).
 */
import type { JobEdge } from '../graph/job-graph.ts';
import type { Output } from '../operators/operator.ts';
import type { RecordWriter } from './record-writer.ts';

export function chainTailOutput(edges: readonly JobEdge[], writers: readonly RecordWriter[]): Output<unknown> {
  const main: RecordWriter[] = [];
  const byTag = new Map<string, RecordWriter[]>();
  writers.forEach((w, i) => {
    const tag = edges[i]?.sideOutputTag;
    if (tag === undefined) main.push(w);
    else (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(w);
  });
  const emitWatermark = (wm: number): void => {
    for (const w of writers) w.broadcast({ type: 'watermark', timestamp: wm });
  };
  const emitWatermarkStatus = (idle: boolean): void => {
    for (const w of writers) w.broadcast({ type: 'watermark-status', idle });
  };
  const sideOutput = (tag: string, v: unknown, ts: number | undefined): void => {
    const ws = byTag.get(tag);
    if (ws) for (let i = 0; i < ws.length; i++) ws[i]!.emit(v, ts);
  };
  if (main.length === 1) {
    const only = main[0]!;
    return { collect: (v, ts) => only.emit(v, ts), emitWatermark, emitWatermarkStatus, sideOutput };
  }
  return {
    collect: (v, ts) => { for (let i = 0; i < main.length; i++) main[i]!.emit(v, ts); },
    emitWatermark,
    emitWatermarkStatus,
    sideOutput,
  };
}
