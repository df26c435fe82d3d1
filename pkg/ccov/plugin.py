"""pytest plugin (placeholder until the pytest issue lands): registers nothing."""
