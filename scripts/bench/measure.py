#!/usr/bin/env python3
"""Runs one command for `cargo xtask bench s3` and prints, as one JSON line, its wall time in
seconds, its exit status, its peak resident memory (getrusage of the waited-for child) and,
with --server-pid, the CPU seconds that process (the emulator) spent meanwhile.

    measure.py --stdout FILE --stderr FILE [--server-pid PID] -- COMMAND [ARG...]
"""

import argparse
import json
import os
import resource
import subprocess
import time


def cpu_seconds(pid):
    """User plus system CPU time of a process, from /proc (fields 14 and 15 of stat)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", required=True)
    parser.add_argument("--stderr", required=True)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        server_before = cpu_seconds(args.server_pid)
        started = time.monotonic()
        status = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err).returncode
        seconds = time.monotonic() - started
        server_cpu = cpu_seconds(args.server_pid) - server_before
    # Linux reports ru_maxrss in KiB; only this one child has been waited for.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({
        "seconds": seconds,
        "exit": status,
        "max_rss_kib": peak,
        "server_cpu_seconds": server_cpu,
    }))


if __name__ == "__main__":
    main()
