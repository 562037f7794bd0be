"""The CRM store: SQLAlchemy models, engine/session handling and migrations."""
