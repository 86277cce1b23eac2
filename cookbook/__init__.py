"""The cookbook's own machinery: the gallery, the services it starts, the catalogue.

Nothing in examples/ imports from here: every example stands alone.
"""
