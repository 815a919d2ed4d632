"""The workflow model and its file format."""
from .links import LinkError
from .model import Annotation, Event, EventKind, Link, Node, Workflow
from .fileformat import WorkflowFileError, dumps, load, loads, save

__all__ = ["Annotation", "Event", "EventKind", "Link", "LinkError", "Node", "Workflow",
           "WorkflowFileError", "dumps", "load", "loads", "save"]
