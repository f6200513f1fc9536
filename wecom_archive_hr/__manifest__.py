{
    "name": "WeCom Conversation Archive – Employees",
    "summary": "Link WeCom members (员工) to HR employees, and open an employee's archived chats",
    "version": "18.0.1.0.0",
    "category": "Productivity/Conversation Archive",
    "license": "LGPL-3",
    "author": "wecom_archive",
    "website": "https://github.com/wecom-archive/wecom_archive",
    "depends": ["hr", "wecom_archive"],
    "data": [
        "views/wecom_member_views.xml",
        "views/hr_employee_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
