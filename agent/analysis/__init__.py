"""Call analysis: transcript → reviewed CRM note.

``schema`` (the typed result), ``evidence`` (verbatim quotes), ``dates``
(due dates from spoken phrases), ``redaction`` (PII before external models),
``prompting`` and ``analyzer`` (the model flow), ``classifier`` (embedding
baseline), ``notes`` and ``review`` (draft notes and manager review),
``sources`` (inputs from files and the store) and ``hook`` (the pipeline step).
"""
