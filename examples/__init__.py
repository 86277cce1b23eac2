"""The cookbook's examples, one subpackage per Flask pattern.

Being a package is what lets `examples.sqlite3` and `examples.celery` exist
beside the stdlib `sqlite3` and the real `celery` without shadowing them.
"""
