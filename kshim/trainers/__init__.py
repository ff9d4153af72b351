"""The training loop shared by every backend (one pure step; backends supply grad and jit)."""
