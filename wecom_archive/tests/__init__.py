from . import (
    test_callback,
    test_corp,
    test_pipeline,
    test_pipeline_crash,
    test_sync,
    test_translations,
    test_violations,
)
