"""Corpus tools for the fake Finance SDK: ``python -m wecom_archive.native.corpus --help``."""
