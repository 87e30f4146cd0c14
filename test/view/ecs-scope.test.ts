import t from 'tap';
import { EcsScope } from '../../src/view/ecs-scope.js';

const ecs = (family: number, source: number, addr: number[]): Buffer => Buffer.from([0, family, source, 0, ...addr]);
const of = (s: EcsScope, b: Buffer): number => s.of(b, 0, b.length);

t.test('the scope is the matched view network, or longer when a network of another view lies inside it', async (t) => {
  const lan = { name: 'lan' };
  const k8s = { name: 'k8s' };
  const dflt = { name: 'default' };
  const s = new EcsScope([
    { bytes: [192, 168, 0, 0], length: 16, view: lan },
    { bytes: [192, 168, 5, 0], length: 24, view: k8s },
    { bytes: [192, 168, 6, 0], length: 25, view: lan }, // same view inside: no need to tell apart
    { bytes: [0, 0, 0, 0], length: 0, view: dflt },
    { bytes: [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], length: 64, view: lan },
  ]);
  t.equal(of(s, ecs(1, 24, [192, 168, 1])), 24, 'LAN /16 with a k8s /24 inside: /24 tells them apart');
  t.equal(of(s, ecs(1, 24, [192, 168, 5])), 24, 'the k8s /24 itself');
  t.equal(of(s, ecs(1, 24, [10, 1, 2])), 25, 'the /0 default holds networks up to /25 of other views');
  t.equal(of(s, ecs(1, 0, [])), 0, '0/0: no tailoring');
  t.equal(of(s, ecs(2, 56, [0xfd, 0, 0, 1, 0, 0, 0])), 64, 'IPv6 LAN /64');
  t.equal(of(s, ecs(2, 48, [0x20, 0x01, 0x0d, 0xb8, 0, 0])), 64, 'IPv6 outside every network: the longest of the family');
});

t.test('one view network alone: its own length', async (t) => {
  const s = new EcsScope([{ bytes: [10, 0, 20, 0], length: 24, view: 'k8s' }]);
  t.equal(of(s, ecs(1, 24, [10, 0, 20])), 24);
  t.equal(of(s, ecs(1, 32, [10, 0, 20, 7])), 24, 'a longer source still gets the network\'s scope');
  t.equal(of(s, ecs(1, 24, [10, 0, 21])), 24, 'outside: long enough to exclude the network');
  t.equal(of(new EcsScope([]), ecs(1, 24, [10, 0, 21])), 0, 'no view networks: scope 0');
});
