"""Customer history: the semantic index of notes, calls and transcripts, and retrieval.

``index`` keeps the CRM's free text in Chroma (one collection per tenant) and
``retrieval`` combines it with the structured facts from the CRM store.
"""
