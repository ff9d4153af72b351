"""Test helpers for kshim and downstream projects."""
