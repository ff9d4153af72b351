"""Placeholder: filled in by the preprocessing-layer work (issue 15)."""
__all__: list[str] = []
