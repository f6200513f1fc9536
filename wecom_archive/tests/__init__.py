from . import (
    test_access_scope,
    test_callback,
    test_corp,
    test_pipeline,
    test_pipeline_crash,
    test_qr_login,
    test_search,
    test_secrets,
    test_sync,
    test_tours,
    test_translations,
    test_violations,
)
