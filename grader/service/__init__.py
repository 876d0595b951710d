"""The verification service: `grade serve`, where students submit and get feedback at once.

One process keeps a warm grader (reference outputs computed once, the sandbox's zygote
started) and serves an HTTP API and a server-rendered page on 127.0.0.1 by default:

- ``store``: the service's own SQLite file (``service.sqlite`` beside the class-mode
  gradebook in the results folder, WAL): tokens (hashed), jobs, the release flag. A job is
  committed there before the client hears ``202``; on start every job not finished is
  queued again, so a ``kill -9`` loses no accepted submission.
- ``intake``: turns an upload (an archive, loose files, a notebook, a write-up) into one
  stored blob named by its SHA-256, after opening it with the same limits as the CLI.
- ``workers``: the worker interface (a job in, a result out, nothing shared) and the local
  warm pool behind it.
- ``core``: the queue, rate limits, deadline, recording into the gradebook, metrics.
- ``app``: the FastAPI application (``/api/v1/...``, ``/healthz``, ``/metrics``, pages).
- ``command``: ``grade serve``, ``grade serve tokens``, ``grade serve release`` and
  ``grade submit``.

FastAPI and uvicorn are imported only by ``app`` and by ``grade serve``: the CLI and class
mode never need them.
"""
