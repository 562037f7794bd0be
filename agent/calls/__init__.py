"""Call recordings: consented upload, durable job queue, transcription pipeline.

Modules: :mod:`~agent.calls.intake` (upload), :mod:`~agent.calls.queue`
(Huey on SQLite or Redis), :mod:`~agent.calls.jobs` (job state),
:mod:`~agent.calls.pipeline` (the steps), :mod:`~agent.calls.status`
(queries) and :mod:`~agent.calls.retention` (audio deletion).
"""
