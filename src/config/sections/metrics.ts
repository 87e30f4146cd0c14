import { DEFAULTS } from '../defaults.js';
import { hostPort } from '../net.js';
import { bool, object, withDefault } from '../schema.js';
import type { MetricsConfig } from '../types.js';

/** `metrics`: the Prometheus endpoint (`/metrics`) and where it listens. */

const D = DEFAULTS.metrics;

/** Parses `metrics`. */
export const parseMetrics = object(
  { enabled: withDefault(bool, D.enabled), listen: withDefault(hostPort, D.listen) },
  (v): MetricsConfig => v,
);
