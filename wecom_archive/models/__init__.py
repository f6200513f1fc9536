from . import wecom_corp, wecom_corp_key
