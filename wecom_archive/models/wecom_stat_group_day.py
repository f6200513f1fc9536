from odoo import fields, models
from odoo.tools import SQL


class WecomStatGroupDay(models.Model):
    """A group chat's statistics of one local day: the group rows of the chats' days the
    pipeline keeps (wecom.stat.chat.day), as a report."""

    _name = "wecom.stat.group.day"
    _inherit = ["wecom.archived.data"]
    _description = "Group Chat Statistics per Day"
    _auto = False
    _order = "day desc, message_count desc"

    conversation_id = fields.Many2one("wecom.conversation", "Group Chat", readonly=True)
    owner_id = fields.Many2one(related="conversation_id.group_id.owner_id", string="Group Owner")
    member_ids = fields.Many2many(related="conversation_id.member_ids", string="Archived Members")
    corp_id = fields.Many2one("wecom.corp", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    day = fields.Date("Date", readonly=True)
    message_count = fields.Integer("Message Count", readonly=True, aggregator="sum")
    speaker_count = fields.Integer(
        "Active Speakers",
        readonly=True,
        aggregator="avg",
        help="Members and customers who wrote that day; over several days, their average.",
    )
    customer_message_count = fields.Integer("Customer Messages", readonly=True, aggregator="sum")
    violation_count = fields.Integer("Violation Hits", readonly=True, aggregator="sum")

    @property
    def _table_query(self):
        return SQL(
            """SELECT d.id, d.conversation_id, c.corp_id, c.company_id, d.day, d.message_count,
                      d.speaker_count, d.customer_message_count, d.violation_count
                 FROM wecom_stat_chat_day d JOIN wecom_conversation c ON c.id = d.conversation_id
                WHERE d.kind = 'group'"""
        )
