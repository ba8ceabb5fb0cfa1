"""What the portal tells a monitoring stack (Prometheus) at ``GET /metrics``.

Two kinds of figure, kept apart on purpose (docs/operations.md, "Metrik"):

- **Per process, summed over a host's processes** (``instruments``): what a web process does:
  requests by view and status with their latency, database queries and time per request,
  partner API calls, OTPs. prometheus-client counts them in memory, or with
  ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn: ``gunicorn.conf.py`` sets it) in files that every
  worker of the host writes and the scrape adds up. Each host is scraped; queries sum hosts.
- **For the whole deployment** (``shared`` and ``collector``): what workers and jobs do and the
  state of the program, read at scrape time from PostgreSQL and Redis: Celery tasks and the
  queue, each batch job's last run, payouts, the waiting room, complaints. Every host answers
  the same values; queries take ``max`` over hosts, never the sum.
"""
