from . import wecom_scope_wizard
