// The Weir dashboard: polls the job's REST API once a second and renders it (views.js).
import { html, render, useEffect, useState } from '/vendor/preact-htm.mjs';
import { Chart, Checkpoints, JobGraph, SubtaskTable, fmtDuration } from '/assets/views.js';

const HISTORY = 120; // points kept in the live charts (2 minutes at one per second)

async function get(path) {
  const res = await fetch(path, { credentials: 'same-origin' });
  const body = await res.json();
  if (!res.ok) throw new Error(`${body.code}: ${body.message}`);
  return body;
}

function App() {
  const [tab, setTab] = useState('overview');
  const [state, setState] = useState({ error: null, job: null, metrics: null, checkpoints: null });
  const [series, setSeries] = useState({ t: [], inRate: [], outRate: [], cpT: [], cpDur: [] });
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      try {
        const { jobs } = await get('/jobs');
        const id = jobs[0]?.id;
        if (!id) throw new Error('no job');
        const [job, metrics, checkpoints] = await Promise.all([get(`/jobs/${id}`), get(`/jobs/${id}/metrics`), get(`/jobs/${id}/checkpoints`)]);
        if (stopped) return;
        setState({ error: null, job, metrics, checkpoints });
        // An ended job's endpoint closes: stop polling (each poll would log a refused connection).
        if (job.state === 'finished' || job.state === 'failed' || job.state === 'cancelled') {
          stopped = true;
          clearInterval(timer);
        }
        const sources = new Set(job.plan.vertices.filter((v) => v.isSource).map((v) => v.id));
        const sinks = new Set(job.plan.vertices.filter((v) => !job.plan.edges.some((e) => e.from === v.id)).map((v) => v.id));
        const sum = (ids, f) => metrics.vertices.filter((v) => ids.has(v.id)).reduce((n, v) => n + f(v), 0);
        setSeries((s) => {
          const keep = (a, v) => [...a, v].slice(-HISTORY);
          const done = checkpoints.enabled ? checkpoints.history.filter((h) => h.status === 'completed').slice(0, HISTORY).reverse() : [];
          return {
            t: keep(s.t, Date.now() / 1000),
            inRate: keep(s.inRate, sum(sinks, (v) => v.numRecordsInPerSecond)),
            outRate: keep(s.outRate, sum(sources, (v) => v.numRecordsOutPerSecond)),
            cpT: done.map((h) => h.triggerTimestamp / 1000),
            cpDur: done.map((h) => h.durationMs),
          };
        });
      } catch (e) {
        if (!stopped) setState((s) => ({ ...s, error: e.message }));
      }
    };
    const timer = setInterval(tick, 1000);
    void tick();
    return () => { stopped = true; clearInterval(timer); };
  }, []);

  const { job, metrics, checkpoints, error } = state;
  if (!job) return html`<div class="error">${error ?? 'Loading…'}</div>`;
  const failover = job.latestFailover;
  return html`
    <header>
      <h1>${job.name}</h1><span class="state ${job.state}" data-testid="job-state">${job.state}</span>
      <span class="kv">id ${job.id}</span><span class="kv">uptime ${fmtDuration(job.durationMs)}</span>
      <span class="kv">attempts ${job.attempts} · restarts ${job.failovers.length}</span>
      ${error ? html`<span class="kv">(${error})</span>` : null}
    </header>
    <nav>
      <button class=${tab === 'overview' ? 'active' : ''} onClick=${() => setTab('overview')} data-testid="tab-overview">Overview</button>
      <button class=${tab === 'checkpoints' ? 'active' : ''} onClick=${() => setTab('checkpoints')} data-testid="tab-checkpoints">Checkpoints</button>
    </nav>
    <main>
      ${tab === 'overview' ? html`
        <section class="card"><h2>Job graph</h2><${JobGraph} plan=${job.plan} vertices=${metrics.vertices} /></section>
        <section class="card" data-testid="failover"><h2>Latest failover</h2>${failover
          ? html`<p class="failover">Attempt ${failover.attempt}: ${failover.cause.code ? `${failover.cause.code}: ` : ''}${failover.cause.message}<br/>
              at ${new Date(failover.failedAt).toLocaleTimeString()}, restored ${failover.restoredCheckpointId === null ? 'nothing (fresh start)' : `checkpoint ${failover.restoredCheckpointId}`}, recovery ${failover.recoveryMs} ms</p>`
          : html`<p class="muted">No failover.</p>`}</section>
        <div class="charts">
          <${Chart} title="Throughput" unit="rec/s" x=${series.t} series=${[{ label: 'sources out', values: series.outRate }, { label: 'sinks in', values: series.inRate }]} />
          <${Chart} title="Checkpoint duration" unit="ms" x=${series.cpT} series=${[{ label: 'duration', values: series.cpDur }]} />
        </div>
        <section class="card"><h2>Subtasks</h2><${SubtaskTable} vertices=${metrics.vertices} /></section>`
      : html`<${Checkpoints} stats=${checkpoints} />`}
    </main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading…" placeholder
render(html`<${App} />`, root);
