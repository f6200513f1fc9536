from . import wecom_scope_wizard, wecom_violation_case_wizard
