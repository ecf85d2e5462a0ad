#!/usr/bin/env python3
"""Bad-input storm against a running hub, and its resident memory before, right after and after a quiet spell.

Usage: bad-input-storm.py --url http://127.0.0.1:5180 --pid PID [--quiet 30] [--scale 1.0] [--workers 8]

The storm (20,100 inputs at scale 1, every kind docs/hub.md "Bad input" lists; the hub must answer each with its
documented error and stay well):
  4,000 POST /v1/logs malformed JSON (400)        4,000 POST invalid entry (400)       4,000 POST wrong type (415)
  4,000 /v1/ingest invalid UTF-8 (1007)           2,000 /v1/ingest binary frame (1003) 2,000 /v1/ingest bad message (4400)
     50 /v1/ingest message over 1 MiB (1009)         50 POST 12 MiB chunked body, invalid at its end (400)
Resident memory is VmRSS from /proc/PID/status. Prints one line per measurement and a summary. Standard library only.
"""
import argparse, base64, concurrent.futures, http.client, os, socket, struct, sys, time, urllib.parse


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Hub:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port or 80

    def post(self, body, content_type="application/json", chunked=False):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            if chunked:
                c.putrequest("POST", "/v1/logs")
                c.putheader("Content-Type", content_type)
                c.putheader("Transfer-Encoding", "chunked")
                c.endheaders()
                view = memoryview(body)
                for i in range(0, len(body), 1 << 16):
                    part = view[i:i + (1 << 16)]
                    c.send(b"%x\r\n" % len(part) + bytes(part) + b"\r\n")
                c.send(b"0\r\n\r\n")
            else:
                c.request("POST", "/v1/logs", body=body, headers={"Content-Type": content_type})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    def ingest_frame(self, opcode, payload):
        """Opens /v1/ingest, sends one masked frame, returns the close code the hub answers with."""
        s = socket.create_connection((self.host, self.port), timeout=60)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall((f"GET /v1/ingest HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                head += chunk
            if b" 101 " not in head.split(b"\r\n")[0]:
                return None
            rest = head.split(b"\r\n\r\n", 1)[1]
            mask = os.urandom(4)
            n = len(payload)
            header = bytes([0x80 | opcode])
            if n < 126:
                header += bytes([0x80 | n])
            elif n < 65536:
                header += bytes([0x80 | 126]) + struct.pack(">H", n)
            else:
                header += bytes([0x80 | 127]) + struct.pack(">Q", n)
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 65536 else _mask_big(payload, mask)
            try:
                s.sendall(header + mask + masked)
            except OSError:
                pass   # the hub may close before reading it all (1009)
            data = rest
            while True:
                if len(data) >= 2:
                    op, ln = data[0] & 0x0F, data[1] & 0x7F
                    off = 2
                    if ln == 126:
                        if len(data) < 4:
                            ln = None
                        else:
                            ln, off = struct.unpack(">H", data[2:4])[0], 4
                    if ln is not None and len(data) >= off + ln:
                        if op == 8:
                            code = struct.unpack(">H", data[off:off + 2])[0] if ln >= 2 else None
                            try:
                                s.sendall(bytes([0x88, 0x80 | 2]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(struct.pack(">H", 1000))))
                            except OSError:
                                pass
                            return code
                        data = data[off + ln:]
                        continue
                try:
                    chunk = s.recv(65536)
                except OSError:
                    return None
                if not chunk:
                    return None
                data += chunk
        finally:
            s.close()


def _mask_big(payload, mask):
    m = (mask * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(len(payload), "big")


def storm(hub, scale, workers):
    n = lambda k: max(1, int(k * scale))
    big_body = b"[" + b",".join([b'{"message":"' + b"x" * 1000 + b'"}'] * 12_000) + b',{"level":"nope"}]'
    big_message = b'{"type":"publish","ref":"r","entries":[{"message":"' + b"y" * (1 << 20) + b'"}]}'
    jobs = (
        [lambda: hub.post(b'[{"message":')] * n(4000)
        + [lambda: hub.post(b'[{"level":"nope"}]')] * n(4000)
        + [lambda: hub.post(b"hello", "text/plain")] * n(4000)
        + [lambda: hub.ingest_frame(1, b'{"type":"publish","ref":"r","entries":[{"message":"\xc3\x28"}]}')] * n(4000)
        + [lambda: hub.ingest_frame(2, b"\x00\x01\x02")] * n(2000)
        + [lambda: hub.ingest_frame(1, b'{"type":"nope"}')] * n(2000)
        + [lambda: hub.ingest_frame(1, big_message)] * n(50)
        + [lambda: hub.post(big_body, chunked=True)] * n(50)
    )
    answers = {}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for a in pool.map(lambda job: job(), jobs):
            answers[a] = answers.get(a, 0) + 1
    return len(jobs), answers


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--quiet", type=float, default=30)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--workers", type=int, default=8)
    a = p.parse_args()
    hub = Hub(a.url)
    assert hub.post(b'[{"message":"warm-up"}]') == 200
    before = rss_mib(a.pid)
    print(f"before: {before:.1f} MiB resident (load {loadavg()})", flush=True)
    t = time.monotonic()
    count, answers = storm(hub, a.scale, a.workers)
    after = rss_mib(a.pid)
    print(f"storm: {count} bad inputs in {time.monotonic() - t:.1f} s, answers {dict(sorted(answers.items(), key=str))}", flush=True)
    print(f"right after: {after:.1f} MiB resident (load {loadavg()})", flush=True)
    time.sleep(a.quiet)
    quiet = rss_mib(a.pid)
    assert hub.post(b'[{"message":"still well"}]') == 200
    print(f"after {a.quiet:.0f} s quiet: {quiet:.1f} MiB resident (load {loadavg()})", flush=True)
    print(f"summary: {before:.1f} -> {after:.1f} -> {quiet:.1f} MiB (+{quiet - before:.1f} MiB after the quiet spell)")


if __name__ == "__main__":
    sys.exit(main())
