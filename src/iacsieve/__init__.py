"""iacsieve: filter false positives of IaC security smell detectors (GLITCH) with code encoders."""

__version__ = "0.1.0"
__all__ = ["Filter", "__version__"]


def __getattr__(name: str):
    # Imported lazily so that `import iacsieve` (and params validation) does not load torch.
    if name == "Filter":
        from iacsieve.filtering.filter import Filter

        return Filter
    raise AttributeError(f"module 'iacsieve' has no attribute {name!r}")
