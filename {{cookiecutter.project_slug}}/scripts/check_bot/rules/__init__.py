"""Rule modules, one concern each. Every module here is imported by core.discover()."""
