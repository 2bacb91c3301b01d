//! Loading `pats.yaml` with located diagnostics, and connection settings.
