"""Fake platform APIs on loopback that record what the bot sends."""
