"""Call recordings: consented upload, durable job queue, transcription pipeline.

Modules: :mod:`~agent.calls.intake` (upload), :mod:`~agent.calls.jobs`
(job state), :mod:`~agent.calls.pipeline` (the steps, as job kinds of
:mod:`agent.jobs`), :mod:`~agent.calls.status`
(queries) and :mod:`~agent.calls.retention` (audio deletion).
"""
