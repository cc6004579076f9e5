"""Alembic environment: always runs on the connection `ai_service.migrate` hands over (lock held)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
