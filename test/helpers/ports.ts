import dgram from 'node:dgram';
import net from 'node:net';

/** A port free for both TCP and UDP on 127.0.0.1 right now (for peers that need a fixed port). */
export async function freePort(): Promise<number> {
  for (;;) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise((r) => srv.close(r));
    if (ok) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
  }
}
