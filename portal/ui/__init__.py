"""Everything that calls st.*: the shell, auth glue, messages and page renderers."""
