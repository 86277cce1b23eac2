"""The cookbook's examples: examples/<folder>/<package>, one folder per Flask pattern.

Being a package is what lets the tests and the gallery import an example as
`examples.<folder>.<package>` from the repository root. Never put examples/
itself on sys.path: run an example from its own folder instead.
"""
