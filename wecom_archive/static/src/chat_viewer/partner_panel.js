import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { avatar, formatTime } from "./utils";

/** The other side of the chat: a customer's details, a group's members, colleagues. */
export class PartnerPanel extends Component {
    static template = "wecom_archive.PartnerPanel";
    static props = { panel: Object, onChanged: Function };

    setup() {
        this.action = useService("action");
    }

    avatar(name) {
        return avatar(name);
    }

    leftText(group) {
        return _t("%s left the group", group.left_count);
    }

    time(value) {
        return formatTime(value, "yyyy-MM-dd HH:mm");
    }

    openPartner() {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: this.props.panel.contact.partner.id,
            views: [[false, "form"]],
        });
    }

    /** The customer's form in a dialog, where the CRM contact is linked. */
    linkPartner() {
        this.action.doAction(
            {
                type: "ir.actions.act_window",
                res_model: "wecom.contact",
                res_id: this.props.panel.contact.id,
                views: [[false, "form"]],
                target: "new",
            },
            { onClose: () => this.props.onChanged() }
        );
    }
}
