from . import test_employee_link, test_translations
