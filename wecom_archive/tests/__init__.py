from . import test_corp, test_translations
