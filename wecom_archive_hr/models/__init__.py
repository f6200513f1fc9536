from . import hr_employee, wecom_corp, wecom_member
