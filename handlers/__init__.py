"""Handlers: they receive a :class:`handlers.base.Turn` and return an :class:`handlers.base.Outcome`.

They never see a platform type and never talk HTTP. The registry of handlers is in ``handlers/registry.py``.
"""
