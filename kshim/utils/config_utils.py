"""``Config`` (``keras.utils.Config``): a dict of named values with attribute access, freezing and JSON."""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any, Iterator

__all__ = ["Config"]


class Config:
    """A dict-like container of named values (``keras.utils.Config``).

    Values are set and read as attributes (``config.seed = 1``) or items (``config["seed"]``);
    ``freeze()`` makes every later change raise; ``to_json()`` and ``as_dict()`` export it. Iteration
    yields the keys in sorted order (``keys()``/``items()`` keep insertion order), as in Keras.

    Args:
        **kwargs: The initial entries.
    """

    __attrs__: set[str] | None = None

    def __init__(self, **kwargs: Any):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self) -> bool:
        """Whether the config is frozen."""
        return self._frozen

    def freeze(self) -> None:
        """Forbid further changes (setting, updating, popping or deleting entries raises ``ValueError``)."""
        self._frozen = True

    def unfreeze(self) -> None:
        """Allow changes again."""
        self._frozen = False

    def _raise_if_frozen(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self) -> dict:
        """A shallow copy of the entries as a plain dict."""
        return copy.copy(self._config)

    def to_json(self) -> str:
        """The entries as a JSON string.

        Raises:
            TypeError: An entry is not JSON-serializable.
        """
        return json.dumps(self._config)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def pop(self, *args: Any) -> Any:
        """``dict.pop`` (raises ``ValueError`` when frozen)."""
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update`` (raises ``ValueError`` when frozen)."""
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname: str, value: Any = None) -> Any:
        """``dict.get``."""
        return self._config.get(keyname, value)

    def __setattr__(self, name: str, value: Any) -> None:
        own = object.__getattribute__(self, "__attrs__")
        if own is None or name in own:
            object.__setattr__(self, name, value)
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        own = object.__getattribute__(self, "__attrs__")
        if own is None or name in own:
            return object.__getattribute__(self, name)
        entries = object.__getattribute__(self, "_config")
        if name in entries:
            return entries[name]
        msg = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(entries.keys()), n=1, cutoff=0.7)
        if close:
            msg += f" Did you mean '{close[0]}'?"
        raise AttributeError(msg)

    def __setitem__(self, key: str, item: Any) -> None:
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._config

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._config.keys()))

    def __len__(self) -> int:
        return len(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"
