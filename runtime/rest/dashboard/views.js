// Views of the Weir dashboard (preact + htm: components as tagged templates, no build step).
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.mjs';
import uPlot from '/vendor/uplot.mjs';

export const fmtBytes = (b) => (b == null ? '–' : b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1048576).toFixed(1)} MiB`);
export const fmtMs = (ms) => (ms == null ? '–' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);
export const fmtRate = (r) => (r >= 10000 ? `${(r / 1000).toFixed(1)}k` : r >= 100 ? Math.round(r).toString() : r.toFixed(1));
export const fmtDuration = (ms) => {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
};

/** Columns by longest path from a source, rows in order of appearance. */
function layout(plan) {
  const depth = new Map(plan.vertices.map((v) => [v.id, 0]));
  for (let i = 0; i < plan.vertices.length; i++) for (const e of plan.edges) depth.set(e.to, Math.max(depth.get(e.to), depth.get(e.from) + 1));
  const rows = new Map();
  const pos = new Map();
  for (const v of plan.vertices) {
    const d = depth.get(v.id);
    const r = rows.get(d) ?? 0;
    rows.set(d, r + 1);
    pos.set(v.id, { x: 20 + d * 260, y: 20 + r * 130 });
  }
  return { pos, width: 20 + (Math.max(...depth.values()) + 1) * 260, height: 20 + Math.max(...rows.values()) * 130 };
}

export function JobGraph({ plan, vertices }) {
  const { pos, width, height } = layout(plan);
  const byId = new Map(vertices.map((v) => [v.id, v]));
  const W = 210, H = 96;
  return html`<div class="graph">
    <svg viewBox="0 0 ${width} ${height}" style="max-height:${height}px" data-testid="job-graph">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8c99a6" /></marker></defs>
      ${plan.edges.map((e) => {
        const a = pos.get(e.from), b = pos.get(e.to);
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        return html`<g><path class="edge" d="M${x1},${y1} C${x1 + 25},${y1} ${x2 - 25},${y2} ${x2},${y2}" />
          <text class="edge-label" x=${(x1 + x2) / 2} y=${(y1 + y2) / 2 - 6} text-anchor="middle">${e.partitioning.toUpperCase()}${e.sideOutput ? ` (${e.sideOutput})` : ''}</text></g>`;
      })}
      ${plan.vertices.map((v) => {
        const m = byId.get(v.id);
        const level = m?.backPressure ?? 'ok';
        const p = pos.get(v.id);
        const name = v.name.length > 30 ? `${v.name.slice(0, 29)}…` : v.name;
        return html`<g class="vertex ${level}" data-vertex=${v.id} data-backpressure=${level} transform="translate(${p.x},${p.y})">
          <title>${v.name} (${v.id})</title>
          <rect width=${W} height=${H} />
          <text class="title" x="10" y="20">${name}</text>
          <text x="10" y="40">Parallelism: <tspan data-testid="parallelism">${v.parallelism}</tspan>${v.isKeyed ? ' · keyed' : ''}</text>
          <text x="10" y="58">In ${fmtRate(m?.numRecordsInPerSecond ?? 0)}/s · Out ${fmtRate(m?.numRecordsOutPerSecond ?? 0)}/s</text>
          <text x="10" y="76">Busy ${Math.round((m?.busyTimeMsPerSecond ?? 0) / 10)}% · Backpressured ${Math.round((m?.backPressuredTimeMsPerSecond ?? 0) / 10)}%</text>
          <rect class="badge ${level}" x=${W - 46} y="80" width="40" height="12" rx="3" />
          <text x=${W - 26} y="90" text-anchor="middle" style="font-size:9px;fill:#fff;font-weight:600">${level.toUpperCase()}</text>
        </g>`;
      })}
    </svg>
    <div class="legend">Back pressure (max over subtasks, ms/s): <span><i style="background:var(--ok)"></i>OK ≤ 10%</span><span><i style="background:var(--low)"></i>LOW ≤ 50%</span><span><i style="background:var(--high)"></i>HIGH</span></div>
  </div>`;
}

export function SubtaskTable({ vertices }) {
  return html`<table>
    <thead><tr><th class="left">Vertex</th><th>Subtask</th><th>Records in</th><th>Records out</th><th>In/s</th><th>Out/s</th><th>Busy ms/s</th><th>Backpressured ms/s</th><th>In pool</th><th>Out pool</th><th>Watermark</th><th>Keyed state</th></tr></thead>
    <tbody>${vertices.flatMap((v) => v.subtasks.map((s) => html`<tr>
      <td class="left">${v.name}</td><td>${s.subtask}</td><td>${s.recordsIn}</td><td>${s.recordsOut}</td>
      <td>${fmtRate(s.numRecordsInPerSecond)}</td><td>${fmtRate(s.numRecordsOutPerSecond)}</td>
      <td>${Math.round(s.busyTimeMsPerSecond)}</td><td class=${s.backPressure}>${Math.round(s.backPressuredTimeMsPerSecond)}</td>
      <td>${(s.inPoolUsage * 100).toFixed(0)}%</td><td>${(s.outPoolUsage * 100).toFixed(0)}%</td>
      <td>${(s.inputWatermark ?? s.outputWatermark) == null ? '–' : new Date(s.inputWatermark ?? s.outputWatermark).toISOString().slice(11, 23)}</td><td>${fmtBytes(s.keyedStateBytes)}</td></tr>`))}</tbody>
  </table>`;
}

/** A live uPlot line chart: `series` = [{ label, values }], `x` = epoch seconds. */
export function Chart({ title, x, series, unit }) {
  const el = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(300, el.current.clientWidth - 10);
    const opts = { width, height: 200, series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: ['#1890ff', '#52c41a', '#fa8c16', '#722ed1'][i % 4], width: 2, value: (u, v) => (v == null ? '–' : `${fmtRate(v)} ${unit}`) }))], axes: [{}, { values: (u, vals) => vals.map((v) => fmtRate(v)) }] };
    plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)], el.current);
    return () => plot.current.destroy();
  }, [series.length]);
  useEffect(() => { plot.current?.setData([x, ...series.map((s) => s.values)]); });
  return html`<section class="card"><h2>${title}</h2><div ref=${el} data-testid=${`chart-${title}`}></div></section>`;
}

export function Checkpoints({ stats }) {
  const [open, setOpen] = useState(null);
  if (!stats.enabled) return html`<section class="card"><p class="muted">Checkpointing is not enabled for this job.</p></section>`;
  const c = stats.counts;
  return html`
    <section class="card"><h2>Overview</h2><div class="counts" data-testid="checkpoint-counts">
      ${[['Triggered', c.triggered], ['In progress', c.inProgress], ['Completed', c.completed], ['Failed', c.failed], ['Restored', c.restored]].map(([k, v]) => html`<div><b>${v}</b><span>${k}</span></div>`)}
    </div>
    ${stats.latest.restore ? html`<p>Restored from ${stats.latest.restore.kind} ${stats.latest.restore.checkpointId} at ${stats.latest.restore.path}</p>` : null}
    ${stats.latest.failed ? html`<p class="failover">Latest failed: ${stats.latest.failed.checkpointId} — ${stats.latest.failed.failureReason} ${stats.latest.failed.failureMessage ?? ''}</p>` : null}
    </section>
    <section class="card"><h2>History</h2><table data-testid="checkpoint-history">
      <thead><tr><th class="left">ID</th><th class="left">Status</th><th class="left">Type</th><th>Triggered</th><th>Acknowledged</th><th>Duration</th><th>Checkpointed size</th><th>Full size</th><th>Persisted in-flight</th><th>Alignment</th><th>Start delay</th></tr></thead>
      <tbody>${stats.history.map((h) => [
        html`<tr class="checkpoint ${h.status}" data-checkpoint-id=${h.checkpointId} data-persisted=${h.persistedInFlightBytes} onClick=${() => setOpen(open === h.checkpointId ? null : h.checkpointId)}>
          <td class="left">${h.checkpointId}</td><td class="left status">${h.status}</td><td class="left">${h.kind}${h.unalignedSubtasks > 0 ? ' (unaligned)' : ''}</td>
          <td>${new Date(h.triggerTimestamp).toLocaleTimeString()}</td><td>${h.acknowledged}/${h.total}</td><td>${fmtMs(h.durationMs)}</td>
          <td>${fmtBytes(h.checkpointedBytes)}</td><td>${fmtBytes(h.stateBytes)}</td><td data-testid="persisted">${fmtBytes(h.persistedInFlightBytes)}</td><td>${fmtMs(h.alignmentMs)}</td><td>${fmtMs(h.startDelayMs)}</td></tr>`,
        open === h.checkpointId ? h.subtasks.map((s) => html`<tr class="detail"><td class="left">↳ ${s.vertexId} #${s.subtask}</td><td class="left">${s.finished ? 'finished' : 'acknowledged'}</td><td class="left">${s.unaligned ? 'unaligned' : 'aligned'}</td>
          <td>sync ${fmtMs(s.syncMs)}</td><td>async ${fmtMs(s.asyncMs)}</td><td>${fmtMs(s.endToEndMs)}</td><td>${fmtBytes(s.incrementalStateBytes)}</td><td>${fmtBytes(s.stateBytes)}</td><td>${fmtBytes(s.persistedInFlightBytes)}</td><td>${fmtMs(s.alignmentMs)}</td><td>${fmtMs(s.startDelayMs)}</td></tr>`) : null,
      ])}</tbody></table>
      <p class="muted">Click a checkpoint for its per-subtask detail.</p>
    </section>`;
}
