"""The low-code record engine: a record type is declared once as a RecordSpec, and the
same declaration drives validation, scoped queries, the audit trail, the generic form and
table, import, export and the CLI."""
