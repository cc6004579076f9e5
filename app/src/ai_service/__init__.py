"""AI document service: uploads to object storage, RQ workers embed text into pgvector, search ranks by similarity."""
