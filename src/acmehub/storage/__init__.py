"""Storage adapter: SQLAlchemy Core tables, repositories, unit of work (SQLite, PostgreSQL)."""
