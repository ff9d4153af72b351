"""``kshim.utils.Progbar``: the Keras 3 progress bar, same line format byte for byte.

Verbose 1 prints one self-rewriting line per bar (``\\r`` plus backspaces on a dynamic
display, one new line per update otherwise)::

    32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.9000 - loss: 0.3000

with the step count in bold, the done part of the bar green and the rest grey (ANSI
escapes), then the ETA (``12s``, ``1:05``, ``1:00:05``) while running or the elapsed
seconds once finalized, then the time per step (``s``/``ms``/``us``) and the metrics
(4 decimals, ``.4e`` when ``|value| <= 1e-3``). Verbose 2 prints a single plain line
when the bar is finalized: ``32/32 - 1s - 3ms/step - loss: 0.3000``.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from typing import Any, Iterable

import numpy as np

__all__ = ["Progbar", "print_msg"]

_logger = logging.getLogger("kshim")


def _interactive_logging() -> bool:
    try:
        from .. import _config
    except Exception:  # pragma: no cover - partial installs
        return True
    fn = getattr(_config, "is_interactive_logging_enabled", None)
    return True if fn is None else bool(fn())


def print_msg(message: Any, line_break: bool = True) -> None:
    """Write ``message`` to stdout and flush (or to the ``kshim`` logger when interactive
    logging is disabled), like ``keras.src.utils.io_utils.print_msg``."""
    message = str(message)
    if _interactive_logging():
        if line_break:
            message += "\n"
        try:
            sys.stdout.write(message)
        except UnicodeEncodeError:
            encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
            message = message.replace("━", "=")
            sys.stdout.write(message.encode(encoding, errors="ignore").decode(encoding))
        sys.stdout.flush()
    else:
        _logger.info(message)


class Progbar:
    """Displays a progress bar.

    Args:
        target: Total number of steps expected, ``None`` if unknown.
        width: Progress bar width on screen.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose: one line
            when finalized).
        interval: Minimum visual progress update interval (in seconds).
        stateful_metrics: Names of metrics that should *not* be averaged over time
            (displayed as given). Others are averaged, weighted by the steps elapsed.
        unit_name: Display name for step counts (usually ``"step"`` or ``"sample"``).
        stateless_metrics: Inverse of ``stateful_metrics``: only these are averaged
            (``set()`` means "display everything as given", as ``ProgbarLogger`` does).
            Only one of the two may be passed.
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                f"Received: stateful_metrics={stateful_metrics}, "
                f"stateless_metrics={stateless_metrics}"
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateful_metrics is not None:
            self.stateful_metrics: set | None = set(stateful_metrics)
            self.stateless_metrics: set | None = None
        elif stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set()
            self.stateless_metrics = None
        # Same rule as Keras 3 (note that ``"posix"`` is imported on every POSIX system,
        # so the display is dynamic there even when stdout is redirected).
        self._dynamic_display = bool(
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values: dict[str, list] = {}
        self._values_order: list[str] = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_epoch_start = self._start
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    # ------------------------------------------------------------------ state
    def _is_stateless(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics  # type: ignore[operator]

    def _accumulate(self, current: int, values: Iterable, finalize: bool) -> None:
        for k, v in values:
            if k not in self._values_order:
                self._values_order.append(k)
            if self._is_stateless(k):
                if finalize:
                    # Also covers an unknown target where the last update repeats the
                    # final step count: never average over zero steps.
                    self._values[k] = [v, 1]
                else:
                    base = max(current - self._seen_so_far, 1)
                    if k not in self._values:
                        self._values[k] = [v * base, base]
                    else:
                        self._values[k][0] += v * base
                        self._values[k][1] += base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

    def _average(self, name: str) -> Any:
        total, count = self._values[name]
        if not isinstance(total, float):
            total = np.mean(total)
        return total / max(1, count)

    # ----------------------------------------------------------------- update
    def update(self, current: int, values: Iterable | None = None, finalize: bool | None = None) -> None:
        """Update the bar to step ``current``.

        Args:
            current: Index of the current step (1-based count of steps done).
            values: List of ``(name, value_for_last_step)`` tuples. Stateful metrics
                are displayed as-is; the others are averaged over time.
            finalize: Whether this is the last update; defaults to
                ``current >= target`` (``False`` when the target is unknown).
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._accumulate(current, values or [], finalize)

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            message = ("\b" * self._prev_total_width + "\r") if self._dynamic_display else "\n"
            special_char_len = 0
            if self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                bar = f"%{numdigits}d/%d" % (current, self.target)
                bar = f"\x1b[1m{bar}\x1b[0m "
                special_char_len += 8
                prog_width = int(self.width * (float(current) / self.target))
                if prog_width > 0:
                    bar += f"\x1b[32m{'━' * prog_width}\x1b[0m"
                    special_char_len += 9
                bar += f"\x1b[37m{'━' * (self.width - prog_width)}\x1b[0m"
                special_char_len += 9
            else:
                bar = "%7d/Unknown" % current
            message += bar

            if self.target is not None and self.target > 0 and not finalize:
                info = f" \x1b[1m{self._format_eta(time_per_unit * (self.target - current))}\x1b[0m"
            else:
                info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
            special_char_len += 8
            info += self._format_time(time_per_unit, self.unit_name)
            for k in self._values_order:
                avg = self._average(k)
                info += f" - {k}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {k}: {avg:.4e}"
            message += info

            total_width = len(bar) + len(info) - special_char_len
            if self._prev_total_width > total_width:
                message += " " * (self._prev_total_width - total_width)
            if finalize:
                message += "\n"
            print_msg(message, line_break=False)
            self._prev_total_width = total_width

        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                info = f"%{numdigits}d/%d" % (current, self.target)
                info += f" - {now - self._start:.0f}s"
                info += f" -{self._format_time(time_per_unit, self.unit_name)}"
                for k in self._values_order:
                    avg = self._average(k)
                    # Keras compares the signed value here (not ``abs``) in verbose 2.
                    info += f" - {k}: {avg:.4f}" if avg > 1e-3 else f" - {k}: {avg:.4e}"
                print_msg(info + "\n", line_break=False)

        self._last_update = now

    def add(self, n: int, values: Iterable | None = None) -> None:
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _format_eta(eta: float) -> str:
        if eta > 3600:
            return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
        if eta > 60:
            return "%d:%02d" % (eta // 60, eta % 60)
        return "%ds" % eta

    @staticmethod
    def _format_time(time_per_unit: float, unit_name: str) -> str:
        """`` 3s/step``, `` 12ms/step`` or `` 250us/step`` (with the leading space)."""
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, ignoring the (usually slow, compiling) first step once
        more steps are available."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
