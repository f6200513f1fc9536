from collections import Counter, defaultdict

from odoo import api, models

from ..lib.stats import local_day

# What a follow relation counts: added on its added_on day, lost on its removed_on day.
STAT_FIELDS = frozenset(
    {"member_id", "contact_id", "added_on", "state", "removed_on", "removed_by"}
)
LOST_BY = {"member": "deleted_by_member", "customer": "deleted_by_customer"}


class WecomContactFollow(models.Model):
    _inherit = "wecom.contact.follow"

    @api.model_create_multi
    def create(self, vals_list):
        follows = super().create(vals_list)
        follows._count_customers(1)
        return follows

    def write(self, vals):
        if not STAT_FIELDS & set(vals):
            return super().write(vals)
        self._count_customers(-1)
        result = super().write(vals)
        self._count_customers(1)
        return result

    def unlink(self):
        self._count_customers(-1)
        return super().unlink()

    def _count_customers(self, sign):
        """Add (``sign`` 1) or take back (-1) what these relations count on their member's
        days: customers added, and lost — deleted by the member or by the customer, when
        WeCom's callback said which."""
        totals = defaultdict(lambda: defaultdict(Counter))
        for follow in self:
            corp, member_id = follow.corp_id, follow.member_id.id
            tz = corp._stat_tz()
            if follow.added_on:
                totals[corp][member_id, local_day(follow.added_on, tz)]["customers_added"] += sign
            if follow.state == "former" and follow.removed_on:
                counts = totals[corp][member_id, local_day(follow.removed_on, tz)]
                counts["customers_lost"] += sign
                if follow.removed_by in LOST_BY:
                    counts[LOST_BY[follow.removed_by]] += sign
        for corp, corp_totals in totals.items():
            self.env["wecom.stat.member.day"]._add(corp, corp_totals)
