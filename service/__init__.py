"""The ltrr service: HTTP API, settings, search pipeline, metrics and CLI."""
