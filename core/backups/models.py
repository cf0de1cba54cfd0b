"""No tables of its own: an export is a file, and what it holds is described by its manifest (core.backups.services)."""
