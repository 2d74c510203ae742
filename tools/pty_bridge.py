"""Expose the MicroPython unix port as a serial device that mpremote can use.

Usage: python tools/pty_bridge.py LINK [micropython [args...]]

Creates a pseudo-terminal, symlinks its device path to LINK, and runs
`micropython` on a second pseudo-terminal, copying bytes both ways. The unix
port speaks the raw REPL like a board does, so `mpremote connect LINK resume
...` drives it (use `resume`: mpremote's soft reset, Ctrl-D, ends the unix
process). Runs until micropython exits or this process gets SIGTERM/SIGINT,
then removes LINK and ends micropython. Prints "ready LINK pid PID" once
LINK can be opened. Pure Python (POSIX only): the same job
as `socat PTY,link=LINK,raw,echo=0 EXEC:micropython,pty,raw,echo=0` without
needing socat.
"""
import errno
import os
import select
import signal
import subprocess
import sys
import tty


def _default_micropython():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = os.path.join(here, ".venv", "bin", "micropython")
    return exe if os.path.exists(exe) else "micropython"


def _write_all(fd, data, patience=1.0):
    """Write to a non-blocking pty master. Output that nobody reads for
    `patience` seconds is dropped, as a board's UART would: a program left
    running after `mpremote run --no-follow` must not stall on print()."""
    while data:
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            if not select.select([], [fd], [], patience)[1]:
                return
            continue
        data = data[n:]


def bridge(link, cmd, ready=None):
    """Run `cmd` on a pty and bridge it to a second pty linked at `link`.

    Returns micropython's exit status. `ready`, if given, is called with
    micropython's pid once the link exists.
    """
    # Pair A: the "board's serial port". mpremote opens the slave by path; we
    # keep our own slave fd open too so the master never sees EIO/hang-up
    # between two mpremote invocations.
    host_master, host_slave = os.openpty()
    tty.setraw(host_slave)
    # Pair B: micropython's controlling terminal (it only runs its REPL when
    # stdin is a tty; from a pipe it would execute stdin as a script).
    mp_master, mp_slave = os.openpty()
    tty.setraw(mp_slave)
    proc = subprocess.Popen(cmd, stdin=mp_slave, stdout=mp_slave,
                            stderr=mp_slave, close_fds=True,
                            start_new_session=True)
    os.close(mp_slave)
    os.set_blocking(host_master, False)
    os.set_blocking(mp_master, False)

    tmp = link + ".tmp%d" % os.getpid()
    os.symlink(os.ttyname(host_slave), tmp)
    os.replace(tmp, link)

    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    if ready:
        ready(proc.pid)
    try:
        while not stopping and proc.poll() is None:
            try:
                readable, _, _ = select.select([host_master, mp_master], [], [], 0.2)
            except InterruptedError:
                continue
            for fd in readable:
                other = mp_master if fd == host_master else host_master
                try:
                    data = os.read(fd, 4096)
                except BlockingIOError:
                    continue
                except OSError as e:
                    if e.errno == errno.EIO and fd == mp_master:
                        # micropython closed its terminal: it is exiting.
                        stopping.append(0)
                        break
                    raise
                if data:
                    _write_all(other, data)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        try:
            if os.path.islink(link):
                os.unlink(link)
        except OSError:
            pass
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for fd in (host_master, host_slave, mp_master):
            os.close(fd)
    return proc.returncode


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    cmd = argv[2:] or [_default_micropython()]
    bridge(argv[1], cmd,
           ready=lambda pid: print("ready", argv[1], "pid", pid, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
