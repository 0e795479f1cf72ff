"""Offline evaluation against judged or simulated query sets (lands with its issue)."""
