"""iacsieve: filter false positives of IaC security smell detectors."""
