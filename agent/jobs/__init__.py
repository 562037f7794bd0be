"""The job layer: durable jobs on a Huey queue, whatever the job does.

Modules: :mod:`~agent.jobs.kind` (the protocol a kind of job implements),
:mod:`~agent.jobs.registry` (the kinds this process knows),
:mod:`~agent.jobs.queue` (Huey on SQLite or Redis; knows no caller),
:mod:`~agent.jobs.runner` (claim, heartbeat, retry and recovery, written once),
:mod:`~agent.jobs.heartbeat` (the heartbeat thread) and
:mod:`~agent.jobs.worker` (consumer options, maintenance sweep, embedded worker).

Two kinds exist: the recording pipeline's steps (:mod:`agent.calls.pipeline`)
and brief generations (:mod:`agent.brief.jobs`). Each keeps its state in a
table of its own (``pipeline_jobs``, ``brief_jobs``); the table row is the
source of truth, the queue message only says "look at this row".
"""
