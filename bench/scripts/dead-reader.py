#!/usr/bin/env python3
"""How long a running hub keeps a subscriber that stops reading, while entries keep arriving.

Usage: dead-reader.py --url http://127.0.0.1:5180 [--rate 2000] [--limit 120]

Opens /v1/stream with a raw socket, reads until the hub's `live` message, then reads nothing (the socket stays open and
answers nothing, pongs included). Meanwhile it publishes --rate entries/s (POST /v1/logs, 10 batches a second) and
polls GET /v1/stats once a second until `subscribers` is 0 or --limit seconds have passed. Prints the time to eviction
(or that there was none), the subscriber's last lag and the load average. Standard library only.
"""
import argparse, base64, http.client, json, os, socket, sys, threading, time, urllib.parse


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--rate", type=int, default=2000)
    p.add_argument("--limit", type=float, default=120)
    a = p.parse_args()
    u = urllib.parse.urlparse(a.url)
    host, port = u.hostname, u.port or 80

    s = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /v1/stream?clientId=dead-reader HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b'"type":"live"' not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the hub closed the stream before `live`")
        data += chunk
    print(f"subscribed; from now on it reads nothing (load {loadavg()})", flush=True)

    stop = threading.Event()
    batch = a.rate // 10
    body = json.dumps([{"message": f"entry {i} " + "x" * 150, "source": "dead-reader"} for i in range(batch)]).encode()

    def publish():
        c = http.client.HTTPConnection(host, port, timeout=30)
        next_at = time.monotonic()
        while not stop.is_set():
            c.request("POST", "/v1/logs", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            next_at += 0.1
            time.sleep(max(0, next_at - time.monotonic()))
        c.close()

    publisher = threading.Thread(target=publish)
    publisher.start()
    start = time.monotonic()
    evicted, lag = None, None
    try:
        while time.monotonic() - start < a.limit:
            time.sleep(1)
            c = http.client.HTTPConnection(host, port, timeout=30)
            c.request("GET", "/v1/stats")
            stats = json.loads(c.getresponse().read())
            c.close()
            mine = [x for x in stats["subscriberLag"] if x.get("clientId") == "dead-reader"]
            if not mine:
                evicted = time.monotonic() - start
                break
            lag = mine[0]
    finally:
        stop.set()
        publisher.join()
        s.close()
    if evicted is None:
        print(f"NOT evicted after {a.limit:.0f} s at {a.rate} entries/s; last stats of it: {lag} (load {loadavg()})")
    else:
        print(f"evicted after {evicted:.1f} s at {a.rate} entries/s (abnormalDisconnects {stats['abnormalDisconnects']}); "
              f"last stats of it: {lag} (load {loadavg()})")


if __name__ == "__main__":
    sys.exit(main())
