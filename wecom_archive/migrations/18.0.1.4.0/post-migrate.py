"""A sensitive-word case names its customer, as the other cases do: the customer who wrote
it, else the customer of its 1:1 customer chat (recorded without one before). The old
foreign keys of a case's references are dropped by wecom.violation's init
(models/links.py)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE wecom_violation v SET contact_id = ct.id
             FROM wecom_contact ct
            WHERE v.kind = 'keyword' AND v.contact_id IS NULL
              AND ct.corp_id = v.corp_id
              AND ct.external_userid = CASE
                    WHEN v.sender_role = 'customer' THEN v.sender
                    WHEN v.chat_kind = 'external' THEN
                         (SELECT r FROM unnest(string_to_array(v.receivers, ' ')) r
                           WHERE left(r, 2) IN ('wo', 'wm') LIMIT 1)
                  END"""
    )
