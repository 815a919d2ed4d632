"""imgflow: image analytics by visual programming."""
__version__ = "0.1.0"


def _map_source_checkout_folders() -> None:
    """Let ``imgflow.widgets`` and ``imgflow.embedders`` import from a source checkout.

    The folders sit at the top of the repository, beside this package; an installed wheel
    puts them inside it (pyproject's package-dir).  Only in a checkout, where this package has
    no such sub-folders, are they added to the package's search path, by name and nothing else.
    """
    import importlib.abc
    import importlib.util
    import sys
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent
    folders = {f"{__name__}.{name}": top / name for name in ("widgets", "embedders")
               if not (Path(__file__).parent / name).exists()
               and (top / name / "__init__.py").is_file()}
    if not folders:
        return

    class SourceCheckoutFinder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            folder = folders.get(fullname)
            if folder is None:
                return None
            return importlib.util.spec_from_file_location(
                fullname, folder / "__init__.py", submodule_search_locations=[str(folder)])

    sys.meta_path.insert(0, SourceCheckoutFinder())


_map_source_checkout_folders()


def __getattr__(name: str):
    # The Python API (imgflow.load, imgflow.WorkflowError) is imported on first use,
    # so `import imgflow` stays light: no engine, no Qt, no torch.
    if name in ("load", "WorkflowError"):
        from . import scripting
        return getattr(scripting, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
