"""Content tables of the synthetic company (generate.py): names, places, dialogs."""

CORP_NAME = "上海九州贸易有限公司"

# kind: which positions and dialogs suit the department
DEPARTMENTS = [
    {
        "id": 1,
        "name": "九州贸易",
        "name_en": "Jiuzhou",
        "parentid": 0,
        "order": 1,
        "kind": "office",
    },
    {"id": 2, "name": "总经办", "name_en": "Office", "parentid": 1, "order": 2, "kind": "office"},
    {"id": 3, "name": "销售一部", "name_en": "Sales 1", "parentid": 1, "order": 3, "kind": "sales"},
    {"id": 4, "name": "销售二部", "name_en": "Sales 2", "parentid": 1, "order": 4, "kind": "sales"},
    {"id": 5, "name": "客服部", "name_en": "Service", "parentid": 1, "order": 5, "kind": "service"},
    {"id": 6, "name": "市场部", "name_en": "Marketing", "parentid": 1, "order": 6, "kind": "sales"},
    {
        "id": 7,
        "name": "技术支持部",
        "name_en": "Support",
        "parentid": 5,
        "order": 7,
        "kind": "service",
    },
]
POSITIONS = {
    "office": ["总经理", "行政主管", "财务"],
    "sales": ["销售经理", "销售代表", "大客户经理", "销售助理"],
    "service": ["客服专员", "客服主管", "售后工程师", "技术支持"],
}

# The manual's members first, then names made of these parts (with their pinyin).
MANUAL_MEMBERS = ["王明乐", "王胤", "花英杰", "谢岚旭", "吴兵", "龚进", "王贵生", "钟海", "卢炳添"]
SURNAMES = {
    "王": "Wang",
    "李": "Li",
    "张": "Zhang",
    "刘": "Liu",
    "陈": "Chen",
    "杨": "Yang",
    "赵": "Zhao",
    "黄": "Huang",
    "周": "Zhou",
    "吴": "Wu",
    "徐": "Xu",
    "孙": "Sun",
    "胡": "Hu",
    "朱": "Zhu",
    "高": "Gao",
    "林": "Lin",
    "何": "He",
    "郭": "Guo",
    "马": "Ma",
    "罗": "Luo",
    "谢": "Xie",
    "花": "Hua",
    "龚": "Gong",
    "钟": "Zhong",
    "卢": "Lu",
}
GIVEN = {
    "明": "Ming",
    "乐": "Le",
    "胤": "Yin",
    "英": "Ying",
    "杰": "Jie",
    "岚": "Lan",
    "旭": "Xu",
    "兵": "Bing",
    "进": "Jin",
    "贵": "Gui",
    "生": "Sheng",
    "海": "Hai",
    "炳": "Bing",
    "添": "Tian",
    "伟": "Wei",
    "芳": "Fang",
    "娜": "Na",
    "敏": "Min",
    "静": "Jing",
    "丽": "Li",
    "强": "Qiang",
    "磊": "Lei",
    "军": "Jun",
    "洋": "Yang",
    "勇": "Yong",
    "艳": "Yan",
    "涛": "Tao",
    "超": "Chao",
    "秀": "Xiu",
    "霞": "Xia",
    "平": "Ping",
    "刚": "Gang",
    "桂": "Gui",
    "婷": "Ting",
    "雪": "Xue",
    "晨": "Chen",
}

MANUAL_CUSTOMERS = [
    "赵鑫",
    "Mr. CK(Jack Hwang)-黄",
    "东业明财务",
    "赵昌宁",
    "皇具刃具子小先生",
    "A潘融15601946363",
    "king",
    "Tany",
    "老辉",
    "王尧晖",
    "独秀馒头-朱甜甜",
    "九果玩具乐园",
    "刘九",
]
SHOPS = [
    "独秀馒头",
    "九果玩具",
    "鑫源五金",
    "顺达物流",
    "恒丰建材",
    "美家家居",
    "百味餐饮",
    "金诚财务",
    "蓝天广告",
    "旺旺超市",
    "阳光花卉",
    "宏图印刷",
]
CUSTOMER_CORPS = [
    "东业明财务咨询有限公司",
    "顺达物流有限公司",
    "恒丰建材有限公司",
    "蓝天广告传媒有限公司",
]
CUSTOMER_NOTES = ["", "", "老客户，月结", "展会认识", "朋友介绍", "意向客户", "年底有采购计划"]

FILE_NAMES = [
    "报价单.xlsx",
    "合同草稿.docx",
    "产品手册.pdf",
    "发票信息.pdf",
    "售后登记表.xlsx",
    "安装说明.pdf",
    "方案介绍.pptx",
    "对账单2021.xlsx",
]
PLACES = [
    ("人民广场", "上海市黄浦区人民大道120号", 121.475, 31.232),
    ("虹桥火车站", "上海市闵行区申贵路1500号", 121.320, 31.194),
    ("陆家嘴软件园", "上海市浦东新区峨山路91弄", 121.532, 31.226),
]
LINKS = [
    ("企业微信收款到账说明", "如何查询企业微信收到的款项"),
    ("新品发布会邀请函", "诚邀您参加我司春季新品发布会"),
    ("售后服务政策", "三包政策及维修流程说明"),
]
WEAPPS = ["九州贸易在线商城", "物流查询小程序", "电子发票助手"]
NOTICES = ["春节放假通知", "今天下午三点系统升级", "本周五前提交月度报表", "新品价格调整通知"]
DOCS = ["客户跟进表", "月度销售统计", "售后问题汇总"]
TODOS = ["周五前回访客户", "确认发货地址", "寄送样品", "开具增值税发票"]
MEETINGS = ["季度销售复盘会", "客户拜访", "新品培训", "售后问题周会"]
WISHES = ["恭喜发财，大吉大利", "新年快乐", "合作愉快"]
VOTES = ["团建去哪里", "周会改到周四可以吗"]

SALES_LINES = [
    "这款现在有活动，买十送一",
    "报价单我发您邮箱了",
    "您看下这个型号合适吗",
    "这是最新的价格表",
    "下周可以安排发货",
]
SERVICE_LINES = [
    "您好，收到您的反馈了",
    "麻烦提供一下订单号",
    "师傅明天上午上门",
    "已经给您登记了售后",
    "问题已经处理好了",
]
# Compliance-relevant lines, sprinkled at a low rate (the keyword rules find them).
RISKY_LINES = [
    "你直接私下转账给我，便宜点",
    "加我私人微信，我们私下聊",
    "这单给你返点5个点",
    "回扣照老规矩",
    "这单走私账，不开发票便宜点",
    "你是不是傻，听不懂人话吗",
    "飞单的事别让公司知道",
]
# Personal data and contact offers an employee sends a customer, once each (the demo's
# detector rules find them): a mobile number, a WeChat ID, an e-mail address, a bank card
# (Luhn-valid), a resident ID (valid check character), a link outside the corp's domains.
CONTACT_LINES = [
    "我手机13912345678，有事直接打给我",
    "加我微信：sales_wang88，私下细聊",
    "资料发我私人邮箱 wang.sales88@163.com",
    "货款直接打我卡上 6222 0212 3456 7890 128",
    "开票用我身份证 11010519491231002X 就行",
    "在这个链接下单更便宜 http://cheap-deal.cn/p/1024",
]

DIALOGS = {
    "external": [
        [
            "你好，请问有什么可以帮您",
            "我想问一下上次那批货什么时候到",
            "我帮您查一下物流",
            "已经发出了，预计明天到",
            "好的，谢谢",
            "不客气[微笑]",
        ],
        [
            "王经理，报价单收到了",
            "您看价格还可以吗",
            "能不能再优惠一点，我们量比较大",
            "我跟领导申请一下",
            "好的，等你消息",
            "申请下来了，可以再给您九五折",
            "那就这么定了",
        ],
        [
            "你好，企业微信客服，我们联系过的，麻烦你通过一下",
            "你好",
            "请问发票什么时候能开",
            "这周内给您开好寄出",
            "地址还是上次那个吗",
            "对，没变",
            "好的",
        ],
        ["去pc端的后台", "然后呢", "登录", "就选择管理员登陆", "对", "好的我试试"],
        [
            "不好意思，有一笔收款我不知道到哪里去了",
            "您别着急，我帮您查一下",
            "是哪天的款项？金额多少",
            "2月12号，3800元",
            "查到了，已经到账了",
            "太好了，谢谢",
        ],
        [
            "过年好",
            "过年好！祝您新年大吉",
            "年后什么时候开工",
            "初八就上班了",
            "那年后再联系",
            "好的",
        ],
    ],
    "internal": [
        ["下午的会几点开始", "三点，在3号会议室", "收到"],
        ["这个客户的合同你跟一下", "好的，我今天联系他", "有问题随时说"],
        ["月度报表发我一下", "马上发", "发你了，看下有没有问题", "没问题，辛苦了"],
        ["售后那个单子处理了吗", "师傅明天上门", "好，处理完跟我说一声"],
    ],
    "group": [
        ["大家好，这是我们的服务群", "有问题可以随时在群里提", "好的", "收到"],
        ["今天的货都发出了吗", "发了，单号稍后发群里", "辛苦了"],
        ["明天上午培训，大家准时参加", "收到", "好的", "请假一下，明天要见客户"],
        ["新的价格表已经更新了", "在哪里看", "看群公告", "好的"],
    ],
}


def member_names(rng, count):
    names = list(MANUAL_MEMBERS[:count])
    surnames, given = list(SURNAMES), list(GIVEN)
    seen = set(names)
    while len(names) < count:
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def userid(name, index):
    """A WeCom-style userid: the name's pinyin (WangMingLe), unique by index."""
    parts = [SURNAMES.get(name[0], "User")] + [GIVEN.get(ch, "") for ch in name[1:]]
    base = "".join(parts)
    return base if index < len(MANUAL_MEMBERS) else f"{base}{index}"


def customer_names(rng, count):
    names = list(MANUAL_CUSTOMERS[:count])
    surnames, given = list(SURNAMES), list(GIVEN)
    while len(names) < count:
        person = rng.choice(surnames) + "".join(
            rng.choice(given) for _ in range(rng.choice((1, 2)))
        )
        style = rng.random()
        if style < 0.4:
            names.append(f"{rng.choice(SHOPS)}-{person}")
        elif style < 0.7:
            names.append(person)
        else:
            names.append(f"{person[0]}{rng.choice(('先生', '女士', '总', '经理'))}")
    return names
