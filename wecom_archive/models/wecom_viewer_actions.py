"""The chat viewer's entry points: every list that shows messages, chats, violations or
employees opens the viewer (查看聊天记录) at what was clicked."""

from odoo import models

VIEWER_TAG = "wecom_archive.chat_viewer"


def viewer_action(env, **params):
    """The client action of the chat viewer opened at ``params`` (member, chat, msg, locked)."""
    return {
        "type": "ir.actions.client",
        "tag": VIEWER_TAG,
        "name": env._("Chat Records"),
        "params": {key: value for key, value in params.items() if value},
    }


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    def action_open_viewer(self):
        """The message in its chat, scrolled to and flashed, its neighbours both ways."""
        self.ensure_one()
        return viewer_action(self.env, chat=self.conversation_id.id, msg=self.id)


class WecomConversation(models.Model):
    _inherit = "wecom.conversation"

    def action_open_viewer(self):
        self.ensure_one()
        return viewer_action(self.env, chat=self.id)


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    def action_open_conversation(self):
        """The hit in its chat, in highlight mode. A case without a message (a deletion):
        the employee's chat with the customer, else the employee's chats."""
        self.ensure_one()
        if self.message_id or not self.member_id:
            return viewer_action(
                self.env, chat=self.conversation_id.id, msg=self.message_id.id, hl=1
            )
        chat = self.env["wecom.conversation"]
        if self.contact_id:
            chat = chat.search(
                [
                    ("contact_id", "=", self.contact_id.id),
                    ("kind", "=", "external"),
                    ("member_ids", "in", self.member_id.ids),
                ],
                order="last_msgtime desc",
                limit=1,
            )
        if chat:
            return viewer_action(self.env, chat=chat.id)
        return viewer_action(self.env, member=self.member_id.id)


class WecomMember(models.Model):
    _inherit = "wecom.member"

    def action_view_archive(self):
        """员工只读模式: the viewer locked to this employee, headed by their statistics."""
        self.ensure_one()
        action = viewer_action(self.env, member=self.id, locked=1)
        action["name"] = self.env._("%(name)s's Archive", name=self.display_name)
        return action
