"""The MQTT relay under load: idle SSE clients held, and the delay from
publish to the last client, ahttp against sse-starlette in the same run;
and the board's side (the publisher on MicroPython).

    .venv/bin/python bench/relay.py            # 1,000 and 10,000 clients (~5 min)
    .venv/bin/python bench/relay.py --quick    # 1,000 clients only

A mosquitto on a free 127.0.0.1 port; a publisher (ahttp.mqtt_pub's
MQTTPublisher over aiomqtt, in this process) sends one event per second,
JSON data {"t": time.time() at publish, "n": sequence}; the relay serves
the topic as SSE. Two relays, one after the other, each its own process:
- ahttp: examples/relay.py, as users run it (CPython, asyncio);
- sse-starlette under uvicorn (bench/apps/starlette_relay.py): the same
  fan-out, one aiomqtt subscription feeding a queue per client.
The clients are raw asyncio sockets in two load-generator processes (this
file with --clients): each reads the response head and keeps the socket.
A client's arrival time is the kernel's receive timestamp of the segment
(SO_TIMESTAMPNS), so the generators' own CPU does not count as relay
delay; the delay of an event is its arrival at the LAST client minus the
"t" in its payload. RSS and CPU are read from /proc for the relay's pid.

Needs mosquitto (scripts/bootstrap.sh), aiomqtt, sse-starlette and uvicorn
(requirements-dev.txt), and for the board's side micropython with
umqtt.simple (tools/get_umqtt.py). Writes bench/results/relay-latest.md
(or --out) and prints it.
"""
import argparse
import asyncio
import datetime
import json
import os
import re
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, ROOT)
PY = sys.executable
TOPIC = "bench/relay/events"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)     # Linux
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
RAMP_TIMEOUT = 180
STRAGGLERS = 15     # s after the last event's second to wait for late arrivals


def log(msg):
    sys.stderr.write("[relay-bench] %s\n" % msg)
    sys.stderr.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited with %s before listening" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listening on %d after %d s" % (port, timeout))


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- the load generator (a separate process: python bench/relay.py --clients) ----

# the event's payload as the relays write it: data: {"t":1.5,"n":7} (ahttp),
# data: {"t": 1.5, "n": 7} (json.dumps)
EVENT = re.compile(rb'"t": ?([0-9.]+), ?"n": ?(\d+)')


async def clients_main(host, port, path):
    """Commands on stdin, one answer line each on stdout:
    `add K` opens K more streams; `report` prints and resets the per-event
    figures {n: [clients, first delay, last delay, last delay as read]};
    `quit`."""
    raise_nofile()
    loop = asyncio.get_running_loop()
    socks = {}
    stats = {}
    closed = [0]
    cmsg = socket.CMSG_SPACE(16)
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
               "Cache-Control: no-cache\r\n\r\n" % (path, host, port)).encode()

    def on_read(s):
        try:
            data, anc, _, _ = s.recvmsg(4096, cmsg)
        except BlockingIOError:
            return
        except OSError:
            data, anc = b"", ()
        if not data:
            loop.remove_reader(s.fileno())
            socks.pop(s.fileno(), None)
            s.close()
            closed[0] += 1
            return
        now = time.time()
        ts = now
        for level, kind, c in anc:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                sec, ns = struct.unpack("qq", c[:16])
                ts = sec + ns * 1e-9
        for m in EVENT.finditer(data):
            t = float(m.group(1))
            n = int(m.group(2))
            d, r = ts - t, now - t
            st = stats.get(n)
            if st is None:
                stats[n] = [1, d, d, r]
            else:
                st[0] += 1
                if d < st[1]:
                    st[1] = d
                if d > st[2]:
                    st[2] = d
                if r > st[3]:
                    st[3] = r

    async def one(sem):
        s = socket.socket()
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        async with sem:
            try:
                await asyncio.wait_for(loop.sock_connect(s, (host, port)), 30)
                await loop.sock_sendall(s, request)
                buf = b""
                while b"\r\n\r\n" not in buf:
                    d = await asyncio.wait_for(loop.sock_recv(s, 4096), 30)
                    if not d:
                        raise OSError("closed before the response head")
                    buf += d
                if not buf.startswith(b"HTTP/1.1 200"):
                    raise OSError(buf.split(b"\r\n")[0].decode("latin-1"))
            except (OSError, asyncio.TimeoutError) as e:
                s.close()
                return repr(e)
        socks[s.fileno()] = s
        loop.add_reader(s.fileno(), on_read, s)
        return None

    out = sys.stdout
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "add":
            sem = asyncio.Semaphore(64)
            errors = [e for e in await asyncio.gather(*[one(sem) for _ in range(int(cmd[1]))])
                      if e]
            out.write(json.dumps({"held": len(socks), "failed": len(errors),
                                  "error": errors[0] if errors else None}) + "\n")
        elif cmd[0] == "report":
            out.write(json.dumps({"held": len(socks), "closed": closed[0],
                                  "stats": stats}) + "\n")
            stats = {}
        out.flush()
    for s in socks.values():
        s.close()


class LoadGen:
    def __init__(self, port, path):
        self.port, self.path = port, path
        self.proc = None

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            PY, os.path.abspath(__file__), "--clients", "127.0.0.1", str(self.port),
            self.path, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    async def ask(self, cmd, timeout=RAMP_TIMEOUT):
        self.proc.stdin.write((cmd + "\n").encode())
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the load generator exited")
        return json.loads(line)

    async def stop(self):
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
            await asyncio.wait_for(self.proc.wait(), 20)
        except (OSError, asyncio.TimeoutError):
            self.proc.kill()
            await self.proc.wait()


# -- the processes under test --------------------------------------------------

class Broker:
    def __init__(self, tmp):
        self.exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(self.exe):
            raise SystemExit("mosquitto is not installed (apt-get install -y mosquitto; "
                             "scripts/bootstrap.sh does it)")
        self.port = free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "log_dest none\nmax_queued_messages 0\n" % self.port)
        self.proc = subprocess.Popen([self.exe, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def version(self):
        r = subprocess.run([self.exe, "-h"], capture_output=True, text=True)
        m = re.search(r"mosquitto version (\S+)", r.stdout + r.stderr)
        return m.group(1) if m else "?"

    def stop(self):
        stop_proc(self.proc)


def stop_proc(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Server:
    """A relay process: ahttp (examples/relay.py) or sse-starlette."""

    def __init__(self, kind, broker_port, tmp):
        self.kind = kind
        self.port = free_port()
        self.log_path = os.path.join(tmp, kind + ".log")
        if kind == "ahttp":
            cmd = [PY, os.path.join(ROOT, "examples", "relay.py"), "--broker", "127.0.0.1",
                   "--broker-port", str(broker_port), "--topic", TOPIC,
                   "--port", str(self.port), "--max-clients", "12000"]
            self.path = "/events/" + TOPIC
        else:
            cmd = [PY, os.path.join(BENCH, "apps", "starlette_relay.py"), str(self.port),
                   str(broker_port), TOPIC]
            self.path = "/events"
        with open(self.log_path, "wb") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_port(self.port, self.proc)
        if kind == "ahttp":
            deadline = time.monotonic() + 20
            while not get_json("http://127.0.0.1:%d/stats" % self.port)["connected"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the relay did not connect to the broker")
                time.sleep(0.1)

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return None

    def cpu_s(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        stop_proc(self.proc)

    def tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-600:]
        except OSError:
            return ""


# -- one relay through the points -------------------------------------------------

class Publisher:
    """MQTTPublisher (aiomqtt) on a Broadcaster of its own: what a CPython
    board would run. Each event's data carries its publish time."""

    def __init__(self, broker_port):
        from ahttp.sse import Broadcaster
        from ahttp.mqtt_pub import MQTTPublisher
        self.feed = Broadcaster(ring=4)
        self.pub = MQTTPublisher(self.feed, TOPIC, "127.0.0.1", broker_port, retain=False,
                                 log=lambda m: None, clock_ids=True)
        self.n = 0

    async def start(self):
        self.pub.start()
        deadline = time.monotonic() + 20
        while not self.pub.connected:
            if time.monotonic() > deadline:
                raise RuntimeError("the publisher did not connect to the broker")
            await asyncio.sleep(0.05)

    def publish(self):
        self.n += 1
        t = time.time()
        self.pub.publish({"t": t, "n": self.n})
        return self.n, t

    def stop(self):
        self.pub.stop()


async def run_server(kind, a, broker, publisher, tmp, points, res):
    log("%s: starting" % kind)
    server = Server(kind, broker.port, tmp)
    gens = [LoadGen(server.port, server.path) for _ in range(2)]
    try:
        for g in gens:
            await g.start()
        await asyncio.sleep(1)
        res[(kind, 0, "rss")] = server.rss_mb()
        held = 0
        for n in points:
            want = [(n - held) // 2, (n - held) - (n - held) // 2]
            log("%s: ramping to %d clients" % (kind, n))
            t0 = time.monotonic()
            answers = await asyncio.gather(*[g.ask("add %d" % k) for g, k in zip(gens, want)])
            ramp = time.monotonic() - t0
            held = sum(x["held"] for x in answers)
            failed = sum(x["failed"] for x in answers)
            res[(kind, n, "ramp")] = ramp
            res[(kind, n, "held")] = held
            if failed:
                err = [x["error"] for x in answers if x["error"]][0]
                res.setdefault("errors", []).append(
                    "%s, %d clients: %d connections failed (%s)" % (kind, n, failed, err))
            log("%s: %d held (%d failed) in %.1f s" % (kind, held, failed, ramp))
            await asyncio.sleep(2)
            res[(kind, n, "rss")] = server.rss_mb()
            # warm up (and, for the starlette app, prove its subscription)
            deadline = time.monotonic() + 15
            while True:
                seq, _ = publisher.publish()
                await asyncio.sleep(1.0)
                reps = await asyncio.gather(*[g.ask("report", 30) for g in gens])
                got = sum(r["stats"].get(str(seq), [0])[0] for r in reps)
                if got >= held or time.monotonic() > deadline:
                    break
            log("%s: %d clients, %d events at 1/s" % (kind, held, a.events))
            cpu0, w0 = server.cpu_s(), time.monotonic()
            sent = {}
            start = time.monotonic()
            for i in range(a.events):
                seq, t = publisher.publish()
                sent[seq] = t
                await asyncio.sleep(max(0.0, start + i + 1 - time.monotonic()))
            acc = {}
            deadline = time.monotonic() + 2.0 + STRAGGLERS
            while True:         # until every client has every event, or no more
                await asyncio.sleep(1.0)
                reps = await asyncio.gather(*[g.ask("report", 30) for g in gens])
                for r in reps:
                    for key, st in r["stats"].items():
                        a0 = acc.get(key)
                        acc[key] = st if a0 is None else [
                            a0[0] + st[0], min(a0[1], st[1]), max(a0[2], st[2]),
                            max(a0[3], st[3])]
                done = all(acc.get(str(q), [0])[0] >= held for q in sent)
                if done or time.monotonic() > deadline:
                    break
            cpu = (server.cpu_s() - cpu0) / (time.monotonic() - w0)
            first, last, read, counts = [], [], [], []
            for seq in sent:
                st = acc.get(str(seq))
                counts.append(st[0] if st else 0)
                if st:
                    first.append(st[1])
                    last.append(st[2])
                    read.append(st[3])
            res[(kind, n, "delays")] = last
            res[(kind, n, "read")] = read
            res[(kind, n, "first")] = first
            res[(kind, n, "counts")] = counts
            res[(kind, n, "cpu")] = cpu
            res[(kind, n, "held_end")] = sum(r["held"] for r in reps)
            res[(kind, n, "closed")] = sum(r["closed"] for r in reps)
            res[(kind, n, "rss_end")] = server.rss_mb()
            if last:
                log("%s: %d clients: last-client delay p50 %.1f ms, max %.1f ms"
                    % (kind, n, statistics.median(last) * 1000, max(last) * 1000))
    except Exception as e:          # a relay that cannot hold the load: say so
        res.setdefault("errors", []).append("%s: %r %s" % (kind, e, server.tail()))
        log("%s failed: %r" % (kind, e))
    finally:
        server.stop()               # first: its side of the sockets closes
        for g in gens:
            await g.stop()


# -- the board's side (MicroPython) -----------------------------------------------

async def board_side(broker, tmp, res):
    """bench/mqtt_pub_heap.py on the MicroPython unix port: the heap the
    publisher adds, then events/s with a local SSE client, with and
    without MQTT."""
    mp = os.path.join(ROOT, ".venv", "bin", "micropython")
    mplib = os.path.join(ROOT, ".venv", "mplib")
    if not os.path.exists(mp) or not os.path.isdir(os.path.join(mplib, "umqtt")):
        res.setdefault("errors", []).append(
            "board side skipped: needs .venv/bin/micropython and umqtt.simple in "
            ".venv/mplib (python tools/get_umqtt.py)")
        return
    port = free_port()
    env = dict(os.environ, MICROPYPATH=":".join([mplib, ROOT, ".frozen"]))
    log_path = os.path.join(tmp, "board.log")
    with open(log_path, "wb") as f:
        proc = subprocess.Popen([mp, os.path.join(BENCH, "mqtt_pub_heap.py"),
                                 str(broker.port), str(port)], stdout=f,
                                stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    got = {"sse": 0, "mqtt": 0}
    try:
        wait_port(port, proc, 30)
        import aiomqtt

        async def count_mqtt(ready):
            async with aiomqtt.Client("127.0.0.1", broker.port) as c:
                await c.subscribe("ahttp/board1/events")
                ready.set()
                async for _ in c.messages:
                    got["mqtt"] += 1

        async def count_sse():
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            while True:
                d = await r.read(65536)
                if not d:
                    break
                got["sse"] += d.count(b"\n\n")

        ready = asyncio.Event()
        tasks = [asyncio.ensure_future(count_mqtt(ready)), asyncio.ensure_future(count_sse())]
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        for mqtt in (0, 1):
            before = dict(got)
            r = await loop.run_in_executor(None, get_json, "http://127.0.0.1:%d/rate?secs=%d"
                                           "&mqtt=%d" % (port, 3, mqtt), 30)
            await asyncio.sleep(0.5)
            while True:         # the subscriber catching up
                n = got["mqtt"]
                await asyncio.sleep(0.5)
                if got["mqtt"] == n:
                    break
            res[("board", mqtt)] = (r["events"] / (r["ms"] / 1000.0),
                                    got["sse"] - before["sse"], got["mqtt"] - before["mqtt"],
                                    r["events"])
        for t in tasks:
            t.cancel()
    except Exception as e:
        res.setdefault("errors", []).append("board side: %r" % e)
    finally:
        stop_proc(proc)
        with open(log_path) as f:
            res["board_log"] = f.read()


# -- the report ---------------------------------------------------------------------

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return "%s, %d cores" % (cpu, os.cpu_count() or 0)


def version(dist):
    try:
        from importlib.metadata import version as v
        return v(dist)
    except Exception:
        return "?"


def pct(xs, q):
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    i = int(k)
    return xs[i] + (xs[min(i + 1, len(xs) - 1)] - xs[i]) * (k - i)


def report(a, res, meta, points):
    names = {"ahttp": "ahttp (examples/relay.py)",
             "starlette": "sse-starlette + uvicorn"}
    kinds = ["ahttp", "starlette"]
    out = ["# MQTT relay: clients held and delay to the last client (%s)" % meta["date"], ""]
    out.append("Machine: %s (Linux). Everything runs on it at once: mosquitto %s, the "
               "publisher, the relay under test, two load-generator processes; the 2 "
               "cores are shared, and with other work on the machine (load average %s at the "
               "start). CPython %s; "
               "aiomqtt %s; sse-starlette %s, starlette %s, uvicorn %s (h11, asyncio "
               "loop: no uvloop or httptools installed)." % (
                   meta["machine"], meta["mosquitto"], meta["load"], meta["python"],
                   version("aiomqtt"), version("sse-starlette"), version("starlette"),
                   version("uvicorn")))
    out.append("")
    out.append("## Idle SSE clients held: RSS of the relay process")
    out.append("")
    out.append("| clients | %s | %s |" % (names["ahttp"], names["starlette"]))
    out.append("| ---: | ---: | ---: |")
    for n in [0] + points:
        cells = []
        for k in kinds:
            rss = res.get((k, n, "rss"))
            if rss is None:
                cells.append("–")
                continue
            c = "%.0f MB" % rss
            if n:
                held = res.get((k, n, "held"), 0)
                c += " (%s held, ramp %.1f s)" % (format(held, ","), res[(k, n, "ramp")])
            cells.append(c)
        out.append("| %s | %s |" % (format(n, ","), " | ".join(cells)))
    top = points[-1]
    cells = []
    for k in kinds:
        r0, r1, h = res.get((k, 0, "rss")), res.get((k, top, "rss")), res.get((k, top, "held"))
        cells.append("%.1f KB" % ((r1 - r0) * 1024 / h) if r0 and r1 and h else "–")
    out.append("| per client, 0 -> %s | %s |" % (format(top, ","), " | ".join(cells)))
    out.append("")
    out.append("RSS: VmRSS from /proc after the ramp and 2 s of rest (MB = 2^20 bytes). "
               "Ramp: two load generators, 64 connections at a time each, until every "
               "stream's response head is read.")
    out.append("")
    out.append("## Delay from publish to the last client, 1 event/s")
    out.append("")
    out.append("| clients | relay | events | every client got every event | p50 | p99 "
               "| max | first client, p50 | max as read by the clients | relay CPU |")
    out.append("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in points:
        for k in kinds:
            d = res.get((k, n, "delays"))
            if not d:
                out.append("| %s | %s |%s" % (format(n, ","), names[k], " – |" * 8))
                continue
            counts = res[(k, n, "counts")]
            held = res[(k, n, "held")]
            ok = "yes" if min(counts) >= held and len(d) == len(counts) else \
                "no: %d of %d events reached all %s within %d s (least: %d)" % (
                    sum(1 for c in counts if c >= held), len(counts), format(held, ","),
                    STRAGGLERS, min(counts))
            if res.get((k, n, "closed")):
                ok += "; %d streams ended by the relay" % res[(k, n, "closed")]
            ms = lambda x: "%.0f ms" % (x * 1000) if x >= 0.01 else "%.1f ms" % (x * 1000)
            out.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.0f %% |" % (
                format(held, ","), names[k], len(counts), ok, ms(pct(d, 0.5)),
                ms(pct(d, 0.99)), ms(max(d)), ms(pct(res[(k, n, "first")], 0.5)),
                ms(max(res[(k, n, "read")])),
                res[(k, n, "cpu")] * 100))
    out.append("")
    out.append("Per event, the delay is the last client's kernel receive timestamp "
               "(SO_TIMESTAMPNS) minus the publish time carried in the event's data; "
               "p50/p99/max are over the events (with ~%d events the p99 is close to the "
               "max). First client: the same for the first client to receive it (the MQTT path "
               "and the relay's first write; the rest of the delay is the fan-out). "
               "\"As read\": the last client's delay, timed when the load generator's code read "
               "the socket (adds the generators' own queueing). Relay CPU: its process's "
               "user+system time over the measurement, 100 %% = one core. The path: "
               "publisher (MQTTPublisher, aiomqtt) -> mosquitto -> relay -> clients, all "
               "over 127.0.0.1." % a.events)
    b0, b1 = res.get(("board", 0)), res.get(("board", 1))
    if b0 or b1 or res.get("board_log"):
        out.append("")
        out.append("## The board's side (MicroPython unix port, bench/mqtt_pub_heap.py)")
        out.append("")
        out.append("| what | figure |")
        out.append("| --- | ---: |")
        for line in res.get("board_log", "").splitlines():
            if ":" in line and "bytes" in line:
                what, fig = line.rsplit(":", 1)
                out.append("| %s (heap) | %s |" % (what.strip(), fig.strip()))
        for b, what in ((b0, "events/s, `feed.publish()` only, 1 local SSE client"),
                        (b1, "events/s, `pub.publish()` (local SSE client + MQTT)")):
            if b:
                out.append("| %s | %s (%d published; SSE client got %d, broker "
                           "subscriber %d) |" % (what, format(int(b[0]), ","), b[3], b[1],
                                                 b[2]))
        out.append("")
        out.append("Events/s: the board publishes the next event once the previous one is "
                   "taken by its local stream and (with MQTT) written to the broker, for 3 "
                   "s; the SSE client and an MQTT subscriber in the bench process count "
                   "what arrives.")
    if res.get("errors"):
        out.append("")
        out.append("Errors during the run:")
        out.append("")
        for e in res["errors"]:
            out.append("- " + e.replace("|", "/").replace("\n", " ")[:400])
    return "\n".join(out) + "\n"


async def main_async(a):
    nofile = raise_nofile()
    points = [1000] if a.quick else [1000, 10000]
    if nofile < points[-1] + 200:
        raise SystemExit("RLIMIT_NOFILE allows %d open files: raise the hard limit "
                         "(ulimit -Hn) to hold %d clients" % (nofile, points[-1]))
    tmp = tempfile.mkdtemp(prefix="ahttp-relay-bench-")
    res = {}
    broker = Broker(tmp)
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "machine": machine(), "mosquitto": broker.version(),
            "python": sys.version.split()[0],
            "load": "%.1f %.1f %.1f" % os.getloadavg()}
    publisher = Publisher(broker.port)
    started = time.monotonic()
    try:
        await publisher.start()
        kinds = ["ahttp", "starlette"]
        for kind in kinds if a.only is None else [a.only]:
            await run_server(kind, a, broker, publisher, tmp, points, res)
        if not a.no_board:
            log("board side")
            await board_side(broker, tmp, res)
    finally:
        publisher.stop()
        await asyncio.sleep(0.2)
        broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(a, res, meta, points)
    if not a.quick and a.only is None:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "relay-latest.md"), "w") as f:
            f.write(text)
    print(text)
    log("done in %.0f s" % (time.monotonic() - started))


def main(argv):
    if argv[1:2] == ["--clients"]:
        asyncio.run(clients_main(argv[2], int(argv[3]), argv[4]))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="1,000 clients only (results printed, not written)")
    p.add_argument("--events", type=int, default=25, help="events per point (default 25)")
    p.add_argument("--only", choices=("ahttp", "starlette"), help="one relay only")
    p.add_argument("--no-board", action="store_true", help="skip the MicroPython side")
    p.add_argument("--out", default=os.path.join(BENCH, "results"),
                   help="output directory (default bench/results)")
    a = p.parse_args(argv[1:])
    asyncio.run(main_async(a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
