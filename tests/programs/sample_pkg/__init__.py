"""A package measured with its modules."""
VERSION = "1.0"
