"""The Finance SDK: its ctypes binding, a fake with the same ABI, and corpus tools."""
