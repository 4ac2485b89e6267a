/**
 * The job an application embeds: an (unbounded, rate-limited) stream of sensor
 * readings, keyed by sensor, with a rolling maximum per sensor, plus alerts.
 * Kept in its own module because every worker thread imports it.
 */
import { defineJob } from '../../index.ts';

export interface Reading {
  sensor: string;
  seq: number;
  celsius: number;
}

export interface SensorParams {
  sensors: number;
  ratePerSecond: number;
  /** Stop after this many readings (undefined: run until cancelled). */
  count?: number;
}

/** Deterministic pseudo-random temperature for reading i (no Math.random: replayable). */
export function reading(i: number, sensors: number): Reading {
  const sensor = `sensor-${i % sensors}`;
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return { sensor, seq: Math.floor(i / sensors), celsius: Math.round((15 + (x - Math.floor(x)) * 20) * 10) / 10 };
}

export const sensorJob = defineJob('embedded-sensors', (env, p: SensorParams) => {
  const readings = env.fromGenerator((i) => reading(i, p.sensors), { ratePerSecond: p.ratePerSecond, ...(p.count !== undefined ? { count: p.count } : {}) });
  readings.keyBy((r) => r.sensor).max('celsius').uid('max-per-sensor').collect('max');
  readings.filter((r) => r.celsius >= 34.5).collect('alerts');
});
