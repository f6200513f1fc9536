from . import test_corp, test_pipeline, test_pipeline_crash, test_translations, test_violations
