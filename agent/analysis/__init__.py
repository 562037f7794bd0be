"""Call analysis: transcript → reviewed CRM note.

``schema`` (the typed result), ``evidence`` (verbatim quotes), ``dates``
(due dates from spoken phrases), ``redaction`` (PII before external models),
``analyzer`` (the flow every design shares), ``design`` and ``designs`` (what
a design is, and the registry: ``learned``, ``decomposed`` with its
``prompting``), ``classifier`` (embedding
baseline), ``notes`` and ``review`` (draft notes and manager review),
``sources`` (inputs from files and the store) and ``draft`` (the pipeline's analyze step).
"""
