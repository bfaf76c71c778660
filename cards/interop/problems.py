"""A problem found in a bank: where, what, and the field at fault."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    field: str = ""  # the question field at fault, so an editor can show it inline

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
