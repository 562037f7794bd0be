"""Data protection (DSGVO): erasure, Art. 15 export, retention, audit log, tombstones.

The modules are imported on demand, not here: the importers import
:mod:`agent.privacy.tombstones`, which must stay free of the heavier
dependencies of erasure (history index, audio store).
"""
