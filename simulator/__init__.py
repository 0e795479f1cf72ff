"""Simulated listeners with latent intents, used to measure learning (lands with its issue)."""
