# The fake SDK's fixtures, shared with the binding's tests.
from wecom_archive.native.tests.conftest import (  # noqa: F401
    corpus,
    fake,
    key_pairs,
    sdk_lib_path,
)
