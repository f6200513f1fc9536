import { registry } from "@web/core/registry";

// 账号权限: the archive admins with their role and scope; 修改权限 makes one a super admin.
registry.category("web_tour.tours").add("wecom_archive_permissions", {
    url: "/odoo/action-wecom_archive.wecom_permissions_action",
    steps: () => [
        {
            content: "the scoped admin is listed with role and scope, by name",
            trigger: ".o_data_row:contains('巡检管理员'):contains('会话存档管理员'):contains('销售部')",
        },
        {
            content: "修改权限",
            trigger: ".o_data_row:contains('巡检管理员') button[name='action_wecom_change_scope']",
            run: "click",
        },
        {
            content: "make them a super admin",
            trigger: ".modal .o_field_widget[name='role'] input[data-value='super']",
            run: "click",
        },
        {
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "the list shows the new role",
            trigger: ".o_data_row:contains('巡检管理员'):contains('超级管理员')",
        },
    ],
});
