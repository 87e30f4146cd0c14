import t from 'tap';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/units.js';

t.test('durations parse to seconds', async (t) => {
  const cases: [string | number, number | undefined][] = [
    ['10s', 10], ['500ms', 0.5], ['1.8s', 1.8], ['3d', 259_200], ['1h30m', 5_400], ['2w', 1_209_600],
    ['90', 90], [' 5m ', 300], [30, 30], [0.25, 0.25], ['0s', 0], ['1m30s500ms', 90.5],
    ['', undefined], ['10', 10], ['10x', undefined], ['s', undefined], ['1h 30m', undefined],
    ['-5s', undefined], [-1, undefined], ['1.s', undefined], [Number.NaN, undefined], ['1e3s', undefined],
  ];
  for (const [input, want] of cases) t.equal(parseDuration(input), want, JSON.stringify(input));
});

t.test('durations format to the shortest text that parses back', async (t) => {
  const cases: [number, string][] = [
    [0, '0s'], [0.5, '500ms'], [1.8, '1.8s'], [5, '5s'], [60, '1m'], [300, '5m'], [5_400, '1h30m'],
    [259_200, '3d'], [604_800, '7d'], [90.5, '90.5s'], [86_401, '1d1s'],
  ];
  for (const [seconds, text] of cases) {
    t.equal(formatDuration(seconds), text, String(seconds));
    t.equal(parseDuration(text), seconds, `${text} round-trips`);
  }
});

t.test('sizes parse to bytes', async (t) => {
  const cases: [string | number, number | undefined][] = [
    ['64MiB', 67_108_864], ['1GiB', 1_073_741_824], ['512KiB', 524_288], ['1.5KiB', 1_536], ['10MB', 10_000_000],
    ['2kB', 2_000], ['100B', 100], ['4096', 4_096], [1024, 1_024], ['1 MiB', 1_048_576],
    ['64mib', undefined], ['MiB', undefined], ['-1KiB', undefined], [1.5, undefined], [-1, undefined], ['1XB', undefined],
  ];
  for (const [input, want] of cases) t.equal(parseSize(input), want, JSON.stringify(input));
});

t.test('sizes format exactly', async (t) => {
  t.equal(formatSize(67_108_864), '64MiB');
  t.equal(formatSize(1_073_741_824), '1GiB');
  t.equal(formatSize(1_536), '1536B');
  t.equal(formatSize(2_048), '2KiB');
  t.equal(parseSize(formatSize(1_536)), 1_536);
});
