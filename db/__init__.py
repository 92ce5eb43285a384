"""Database layer: SQLAlchemy models, engine and session factory, Alembic migrations.

Nothing here imports Streamlit; the portal and the CLI share it.
"""
