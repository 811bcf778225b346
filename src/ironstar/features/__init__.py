"""Example features; each sub-package is discovered by `ironstar.feature.discover_features`."""
