"""A fake of WeCom's server API (tests and demo): see :mod:`.server`."""
