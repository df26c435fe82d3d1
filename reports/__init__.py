"""Report writers: each reads the one results model (ccov.model.results)."""
