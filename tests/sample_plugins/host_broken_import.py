"""Fails at import time: the host must name it and refuse to start."""

raise ImportError("a dependency of this plugin is missing")
