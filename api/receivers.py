"""Signal receivers that turn domain events into webhook deliveries (filled in below)."""

from __future__ import annotations
