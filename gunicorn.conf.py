"""gunicorn reads this file when it starts in the repository's root (the Procfile's ``web``).

Metrics of several workers: each gunicorn worker is a process of its own, so prometheus-client
runs in multiprocess mode. Every worker writes its counters to files in
``PROMETHEUS_MULTIPROC_DIR`` and whichever worker answers ``GET /metrics`` adds up all of them.
Without the directory each worker would report only its own share. The variable is set here
(a fresh directory under the system's temporary directory) unless the environment already
sets it, before any worker is forked. The files are emptied when gunicorn starts: counters
start again at zero, which Prometheus reads as a restart.

The access log line ends with the response's ``X-Request-ID``, the id every log line of that
request carries.
"""

import os
import shutil
import tempfile

_created_directory = ""
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_directory = tempfile.mkdtemp(prefix="prakerja-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_directory

access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
)


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for entry in os.scandir(directory):
        if entry.name.endswith(".db"):
            os.remove(entry.path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_directory:
        shutil.rmtree(_created_directory, ignore_errors=True)
