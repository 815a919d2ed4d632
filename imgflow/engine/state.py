"""What the engine knows about one node: status, progress, messages, results."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A node's status; str-valued, so it compares equal to the plain words."""
    IDLE = "idle"          # nothing to do (or waiting for an input to arrive)
    WAITING = "waiting"    # will run once the nodes before it are done
    RUNNING = "running"
    DONE = "done"
    WARNING = "warning"    # done, with warnings
    ERROR = "error"


IDLE, WAITING, RUNNING, DONE, WARNING, ERROR = Status


@dataclass
class NodeState:
    status: Status = Status.IDLE
    progress: float | None = None
    message: str = ""                 # the error, or what the node waits for
    warnings: list[str] = field(default_factory=list)
    info: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    view: Any = None                  # what the panel shows beyond the outputs
    has_run: bool = False             # data has flowed out of this node
    pending_apply: bool = False       # changes wait for Apply (outputs are from before them)

    @property
    def busy(self) -> bool:
        return self.status in (Status.RUNNING, Status.WAITING)
