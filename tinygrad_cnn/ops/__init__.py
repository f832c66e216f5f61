"""Differentiable primitive ops (``Function`` subclasses), grouped by kind."""
