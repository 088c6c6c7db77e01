import { expect } from 'chai';
import { parseSsOutput } from '../../src/lab/ssParser.js';
import { SS_IN_FLIGHT, SS_IN_FLIGHT_PORTS, SS_PEER_STOPPED, SS_PEER_STOPPED_ONE_STATE, SS_PEER_STOPPED_PORTS } from './ssFixtures.js';

describe('parseSsOutput', () => {
  it('parses both ends of a loopback connection with bytes in flight', () => {
    const sockets = parseSsOutput(SS_IN_FLIGHT);
    expect(sockets).to.have.length(2);
    const [client, device] = sockets;
    expect(client).to.include({ state: 'ESTAB', recvQ: 0, sendQ: 4190912, localAddress: '127.0.0.1', localPort: SS_IN_FLIGHT_PORTS.client, peerPort: SS_IN_FLIGHT_PORTS.device });
    expect(client).to.include({ rtoMs: 204, rttMs: 0.112, rttVarMs: 0.05, mss: 65483, cwnd: 16, unackedSegments: 5, notsentBytes: 3863497 });
    expect(client).to.include({ bytesSent: 17232205, bytesAcked: 16904791, retransTotal: 0 });
    // The byte counters and the segment count agree: 5 full segments in flight.
    expect(client!.unackedBytes).to.equal(5 * 65483);
    // Send-Q is what is in flight plus what is not sent yet.
    expect(client!.unackedBytes + client!.notsentBytes).to.equal(client!.sendQ);
    expect(client!.skmem).to.deep.equal({ rmemAlloc: 0, rcvBuf: 131072, wmemAlloc: 0, sndBuf: 4194304, fwdAlloc: 1792, wmemQueued: 4241664, optMem: 0, backlog: 0, drops: 0 });
    expect(device).to.include({ recvQ: 729826, sendQ: 0, localPort: SS_IN_FLIGHT_PORTS.device, bytesReceived: 17232205, unackedBytes: 0, mss: 32768 });
  });

  it('parses a peer that stopped reading: all of Send-Q not sent, retransmits counted', () => {
    const sockets = parseSsOutput(SS_PEER_STOPPED);
    const client = sockets.find((s) => s.localPort === SS_PEER_STOPPED_PORTS.client)!;
    const device = sockets.find((s) => s.localPort === SS_PEER_STOPPED_PORTS.device)!;
    expect(client).to.include({ sendQ: 3723910, notsentBytes: 3723910, unackedBytes: 0, unackedSegments: 0, retransCurrent: 0, retransTotal: 1, bytesRetrans: 19968, rtoMs: 208 });
    expect(device).to.include({ recvQ: 130021 });
    expect(device.skmem!.drops).to.equal(2);
  });

  it('parses output without the State column (single-state filter)', () => {
    const withState = parseSsOutput(SS_PEER_STOPPED);
    const without = parseSsOutput(SS_PEER_STOPPED_ONE_STATE);
    expect(without).to.have.length(2);
    expect(without.map((s) => s.state)).to.deep.equal(['', '']);
    expect(without.map((s) => [s.recvQ, s.sendQ, s.localPort, s.peerPort])).to.deep.equal(withState.map((s) => [s.recvQ, s.sendQ, s.localPort, s.peerPort]));
  });

  it('falls back to unacked segments × mss without byte counters, and reads IPv6 endpoints', () => {
    const text = 'ESTAB 10 5000 [::1]:40000 [::ffff:127.0.0.1]:10809\n\t cubic rto:300 rtt:1.5/0.75 advmss:1000 mss:1448 cwnd:10 unacked:3 retrans:1/4 notsent:656\n';
    const [s] = parseSsOutput(text);
    expect(s).to.include({ localAddress: '::1', localPort: 40000, peerAddress: '::ffff:127.0.0.1', peerPort: 10809 });
    expect(s).to.include({ mss: 1448, unackedBytes: 3 * 1448, retransCurrent: 1, retransTotal: 4, notsentBytes: 656, rtoMs: 300 });
    expect(s!.skmem).to.equal(undefined);
  });

  it('returns nothing for empty output and skips junk lines', () => {
    expect(parseSsOutput('')).to.deep.equal([]);
    expect(parseSsOutput('\n  \n')).to.deep.equal([]);
    expect(parseSsOutput('garbage\n\t rto:200\n')).to.deep.equal([]);
  });
});
